/// The `swarmtune` command table: each subcommand with its one-line summary and help.
public enum SwarmTuneCommand {
    public static let version = "0.1.0"

    struct Entry: Sendable {
        let name: String
        let summary: String
        let help: String
        let run: @Sendable (inout Arguments) throws(CLIError) -> Void
    }

    static let commands: [Entry] = [
        Entry(name: "demo", summary: "the main job: fetch the core, fine-tune on a private sample set, report",
              help: DemoCommand.help, run: DemoCommand.run),
        Entry(name: "simulate", summary: "a Dec-LoRA swarm in one process: non-IID nodes, local steps, gossip averaging",
              help: SimulateCommand.help, run: SimulateCommand.run),
        Entry(name: "info", summary: "show a core's architecture, tensor types and core hash",
              help: InfoCommand.help, run: InfoCommand.run),
        Entry(name: "generate", summary: "generate text from a core (streamed), greedy or seeded sampling",
              help: GenerateCommand.help, run: GenerateCommand.run),
        Entry(name: "train", summary: "fine-tune LoRA adapters on local data (single node)",
              help: TrainCommand.help, run: TrainCommand.run),
        Entry(name: "eval", summary: "loss, perplexity and exact-match of a core (+ adapter) on a data set",
              help: EvalCommand.help, run: EvalCommand.run),
        Entry(name: "inspect", summary: "inspect adapters: norms, spectra, distances, consensus, product gap (--html)",
              help: InspectCommand.help, run: InspectCommand.run),
        Entry(name: "merge", summary: "merge adapters of the same core (linear, exact SVD, cat, TIES) into one",
              help: MergeCommand.help, run: MergeCommand.run),
        Entry(name: "export", summary: "export an adapter: PEFT, GGUF LoRA for llama.cpp, or merged into the core",
              help: ExportCommand.help, run: ExportCommand.run),
        Entry(name: "quantize", summary: "re-quantize a core (NF4, QLoRA style; or a ggml type) and report its error",
              help: QuantizeCommand.help, run: QuantizeCommand.run),
        Entry(name: "certs", summary: "create the swarm CA and node certificates (mutual TLS)",
              help: CertsCommand.help, run: CertsCommand.run),
        Entry(name: "node", summary: "run a node: SWIM membership over mutual TLS (training rounds not yet)",
              help: NodeCommands.help, run: NodeCommands.runNode),
        Entry(name: "members", summary: "list a node's members, status, incarnation, last heard",
              help: NodeCommands.help, run: NodeCommands.runMembers),
        Entry(name: "bench", summary: "measure kernels, the forward pass, training and transport (prints figures)",
              help: BenchCommand.help, run: BenchCommand.run),
    ]

    public static var help: String {
        let width = commands.map(\.name.count).max() ?? 8
        let list = commands.map { "  \($0.name.padding(toLength: width + 2, withPad: " ", startingAt: 0))\($0.summary)" }
            .joined(separator: "\n")
        return """
            swarmtune \(version): decentralized peer-to-peer LoRA fine-tuning on a shared quantized core

            USAGE: swarmtune <command> [options]

            COMMANDS:
            \(list)

            Run 'swarmtune <command> --help' for a command's options and examples.
            Exit codes: 0 success, 1 runtime failure, 2 usage error.
            """
    }

    /// Runs the command line (without the program name) and returns the exit code.
    public static func main(_ argv: [String]) -> Int32 {
        guard let first = argv.first else {
            Output.err(help)
            return 2
        }
        if first == "--help" || first == "-h" || first == "help" {
            Output.out(help)
            return 0
        }
        if first == "--version" {
            Output.out(version)
            return 0
        }
        guard let entry = commands.first(where: { $0.name == first }) else {
            Output.err("swarmtune: unknown command '\(first)'\n(see 'swarmtune --help')")
            return 2
        }
        var args = Arguments(command: entry.name, Array(argv.dropFirst()))
        if args.wantsHelp {
            Output.out(entry.help)
            return 0
        }
        do {
            try entry.run(&args)
            return 0
        } catch {
            Output.err("swarmtune \(entry.name): \(error.description)")
            return error.exitCode
        }
    }
}
