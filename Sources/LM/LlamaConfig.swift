import ModelIO

/// Hyper-parameters of a Llama-family model, read from GGUF metadata.
public struct LlamaConfig: Sendable, Equatable {
    public var vocabSize: Int
    public var dim: Int
    public var hiddenDim: Int
    public var layers: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    public var ropeBase: Float
    public var normEpsilon: Float
    public var contextLength: Int

    public var kvDim: Int { kvHeads * headDim }

    public init(vocabSize: Int, dim: Int, hiddenDim: Int, layers: Int, heads: Int, kvHeads: Int,
                ropeBase: Float = 10000, normEpsilon: Float = 1e-5, contextLength: Int = 2048) {
        self.vocabSize = vocabSize
        self.dim = dim
        self.hiddenDim = hiddenDim
        self.layers = layers
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = dim / heads
        self.ropeBase = ropeBase
        self.normEpsilon = normEpsilon
        self.contextLength = contextLength
    }

    public init(metadata m: GGUFMetadata, path: String) throws(LMError) {
        do {
            let arch = try m.string("general.architecture")
            guard arch == "llama" else { throw LMError.unsupportedArchitecture(arch, path: path) }
            let dim = try m.int("llama.embedding_length")
            let heads = try m.int("llama.attention.head_count")
            let kvHeads = try m.optionalInt("llama.attention.head_count_kv") ?? heads
            var vocab = try m.optionalInt("llama.vocab_size") ?? 0
            if vocab == 0 { vocab = try m.stringArray("tokenizer.ggml.tokens").count }
            self.init(vocabSize: vocab, dim: dim, hiddenDim: try m.int("llama.feed_forward_length"),
                      layers: try m.int("llama.block_count"), heads: heads, kvHeads: kvHeads,
                      ropeBase: Float(m["llama.rope.freq_base"]?.doubleValue ?? 10000),
                      normEpsilon: Float(try m.float("llama.attention.layer_norm_rms_epsilon")),
                      contextLength: try m.optionalInt("llama.context_length") ?? 2048)
            if let ropeDims = try m.optionalInt("llama.rope.dimension_count"), ropeDims != headDim {
                throw LMError.badHyperParameter(key: "llama.rope.dimension_count", value: "\(ropeDims)",
                                                reason: "partial rotary embeddings are not supported (head size \(headDim))")
            }
        } catch let e as GGUFError {
            throw .file(e)
        } catch let e as LMError {
            throw e
        } catch {
            throw .badHyperParameter(key: "?", value: "?", reason: "\(error)")
        }
        try validate()
    }

    func validate() throws(LMError) {
        func check(_ ok: Bool, _ key: String, _ value: Int, _ reason: String) throws(LMError) {
            if !ok { throw .badHyperParameter(key: key, value: "\(value)", reason: reason) }
        }
        try check(dim > 0 && dim <= 65536, "llama.embedding_length", dim, "must be 1...65536")
        try check(heads > 0 && dim % heads == 0, "llama.attention.head_count", heads, "must divide the embedding length \(dim)")
        try check(kvHeads > 0 && heads % kvHeads == 0, "llama.attention.head_count_kv", kvHeads, "must divide the head count \(heads)")
        try check(headDim % 2 == 0, "llama.attention.head_count", heads, "head size \(headDim) must be even for rotary embeddings")
        try check(layers > 0 && layers <= 1024, "llama.block_count", layers, "must be 1...1024")
        try check(hiddenDim > 0 && hiddenDim <= 1 << 20, "llama.feed_forward_length", hiddenDim, "must be positive")
        try check(vocabSize > 0 && vocabSize <= 1 << 22, "llama.vocab_size", vocabSize, "must be positive")
        try check(contextLength > 0, "llama.context_length", contextLength, "must be positive")
    }
}
