import Quant

let usage = """
    swarmtune: decentralized peer-to-peer LoRA fine-tuning on a shared quantized core

    USAGE: swarmtune <command> [options]

    Run 'swarmtune <command> --help' for a command's options.
    """
print(usage)
