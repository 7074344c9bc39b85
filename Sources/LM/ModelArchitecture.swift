/// The GGUF architectures SwarmTune runs, as llama.cpp reads them. All share one block: RMSNorm,
/// grouped-query attention with rotary embeddings, a SwiGLU feed-forward; they differ in what the
/// converter wrote and how rotary pairs are laid out.
///
/// - `llama`: Llama 1-3.x, SmolLM2, TinyLlama, Mistral 7B (converted as `llama`). Q and K rows
///   are permuted per head by llama.cpp's converter so each rotary pair is adjacent; Llama 3.1+
///   files carry `rope_freqs.weight` (per-frequency divisors from the Llama 3 rope scaling); an
///   untied `output.weight` is used when present.
/// - `qwen2`: Qwen2 and Qwen2.5. Q, K and V carry biases; rows are in Hugging Face order and
///   rotary pairs are half a head apart (llama.cpp's NEOX rope).
public enum ModelArchitecture: String, Sendable, CaseIterable {
    case llama
    case qwen2

    /// How each head's rows pair up under the rotation.
    public enum RotaryPairing: Sendable {
        /// Rows 2i and 2i+1 (ggml's normal rope; Q/K rows permuted by the converter).
        case adjacent
        /// Rows i and i + headDim/2 (ggml's NEOX rope; Hugging Face's `rotate_half`).
        case halves
    }

    /// The pairing the file's Q and K rows are laid out for.
    public var rotaryPairing: RotaryPairing {
        switch self {
        case .llama: .adjacent
        case .qwen2: .halves
        }
    }

    /// True when the file's Q and K rows are a per-head permutation of Hugging Face's
    /// (see `RowOrder`), so adapters crossing to PEFT need their q/k rows mapped.
    public var permutesQueryKeyRows: Bool { rotaryPairing == .adjacent }

    /// The prefix of the architecture's hyper-parameter keys (`llama.block_count`, ...).
    public var keyPrefix: String { rawValue }

    /// The names `unsupportedArchitecture` lists.
    public static var supportedNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
