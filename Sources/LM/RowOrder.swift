/// Row order of Q and K projections. llama.cpp's converter permutes each head's rows of a `llama`
/// file so rotary pairs are adjacent (2i, 2i+1); Hugging Face keeps them half a head apart
/// (i, i + headDim/2), as `qwen2` files do too. Anything crossing between the two worlds (PEFT
/// adapters, merged weights) maps rows here.
public enum RowOrder {
    /// The Hugging Face row that GGUF row `ggufRow` holds, for heads of `headDim` rows, in a file
    /// whose Q/K rows are permuted (`isPermuted`).
    public static func hfRow(forGGUFRow ggufRow: Int, headDim: Int) -> Int {
        let half = headDim / 2
        let head = ggufRow / headDim, within = ggufRow % headDim
        return head * headDim + (within % 2) * half + within / 2
    }

    /// True for the projections whose output rows the architecture's files permute.
    public static func isPermuted(_ target: LoRATarget, in architecture: ModelArchitecture) -> Bool {
        architecture.permutesQueryKeyRows && (target == .q || target == .k)
    }

    /// The Hugging Face row of `target`'s output row `row` as the file orders it.
    public static func hfRow(_ row: Int, of target: LoRATarget, in config: LlamaConfig) -> Int {
        isPermuted(target, in: config.architecture) ? hfRow(forGGUFRow: row, headDim: config.headDim) : row
    }
}
