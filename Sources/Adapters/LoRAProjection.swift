/// The linear layers of a Llama decoder block that a LoRA adapter can target, named as in
/// Hugging Face's `LlamaForCausalLM` (and therefore in PEFT's `target_modules`).
public enum LoRAProjection: String, CaseIterable, Sendable, Hashable, Comparable {
    case q = "q_proj"
    case k = "k_proj"
    case v = "v_proj"
    case o = "o_proj"
    case gate = "gate_proj"
    case up = "up_proj"
    case down = "down_proj"

    /// The sub-module of the decoder layer holding this projection: "self_attn" or "mlp".
    public var block: String {
        switch self {
        case .q, .k, .v, .o: return "self_attn"
        case .gate, .up, .down: return "mlp"
        }
    }

    /// Declaration order (q, k, v, o, gate, up, down).
    public static func < (a: LoRAProjection, b: LoRAProjection) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// The dimensions of a Llama-family model that decide every LoRA factor's shape.
public struct LoRAModelShape: Sendable, Hashable {
    public var layerCount: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var attentionHeadCount: Int
    public var keyValueHeadCount: Int
    public var headDimension: Int

    public init(layerCount: Int, hiddenSize: Int, intermediateSize: Int,
                attentionHeadCount: Int, keyValueHeadCount: Int, headDimension: Int? = nil)
    {
        self.layerCount = layerCount
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.attentionHeadCount = attentionHeadCount
        self.keyValueHeadCount = keyValueHeadCount
        self.headDimension = headDimension ?? (attentionHeadCount > 0 ? hiddenSize / attentionHeadCount : 0)
    }

    /// SmolLM2-135M: 30 layers, hidden 576, intermediate 1536, 9 heads of 64, 3 key/value heads.
    public static let smolLM2_135M = LoRAModelShape(
        layerCount: 30, hiddenSize: 576, intermediateSize: 1536, attentionHeadCount: 9, keyValueHeadCount: 3)

    /// Input and output features of `projection` (the weight is [out, in]).
    public func features(_ projection: LoRAProjection) -> (in: Int, out: Int) {
        let attention = attentionHeadCount * headDimension
        let keyValue = keyValueHeadCount * headDimension
        switch projection {
        case .q: return (hiddenSize, attention)
        case .k, .v: return (hiddenSize, keyValue)
        case .o: return (attention, hiddenSize)
        case .gate, .up: return (hiddenSize, intermediateSize)
        case .down: return (intermediateSize, hiddenSize)
        }
    }
}
