"""What the llama.cpp reference scripts share."""
import llama_cpp
import llama_cpp.llama


def without_extra_buffer_types():
    """llama.cpp's AMX path (an "extra buffer type" for K-quant weights) executes AMX tile
    instructions that the Intel Xeon development machine's CPUID advertises but its kernel does
    not enable (SIGILL at `tilezero`). Loads models with `use_extra_bufts = false`, which
    llama-cpp-python's Llama class does not expose, by patching the default parameters it starts
    from. Numerics are unchanged (the extra buffers only repack weights)."""
    default = llama_cpp.llama_model_default_params

    def patched():
        p = default()
        p.use_extra_bufts = False
        return p
    llama_cpp.llama.llama_cpp.llama_model_default_params = patched
