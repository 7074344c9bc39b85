/// Row order of Q and K projections. GGUF converters permute each head's rows so rotary pairs
/// are adjacent (2i, 2i+1); Hugging Face keeps them half a head apart (i, i + headDim/2).
/// Anything crossing between the two worlds (PEFT adapters, merged weights) maps rows here.
public enum RowOrder {
    /// The Hugging Face row that GGUF row `ggufRow` holds, for heads of `headDim` rows.
    public static func hfRow(forGGUFRow ggufRow: Int, headDim: Int) -> Int {
        let half = headDim / 2
        let head = ggufRow / headDim, within = ggufRow % headDim
        return head * headDim + (within % 2) * half + within / 2
    }

    /// True for the projections whose output rows are permuted in GGUF.
    public static func isPermuted(_ target: LoRATarget) -> Bool { target == .q || target == .k }
}
