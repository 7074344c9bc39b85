import ModelIO

/// Hyper-parameters of a Llama-family model, read from GGUF metadata.
public struct LlamaConfig: Sendable, Equatable {
    public var architecture: ModelArchitecture
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
                ropeBase: Float = 10000, normEpsilon: Float = 1e-5, contextLength: Int = 2048,
                architecture: ModelArchitecture = .llama) {
        self.architecture = architecture
        self.vocabSize = vocabSize
        self.dim = dim
        self.hiddenDim = hiddenDim
        self.layers = layers
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = heads > 0 ? dim / heads : 0
        self.ropeBase = ropeBase
        self.normEpsilon = normEpsilon
        self.contextLength = contextLength
    }

    /// Reads `general.architecture` and that architecture's `<arch>.*` keys.
    public init(metadata m: GGUFMetadata, path: String) throws(LMError) {
        let ropeDims: Int?
        do {
            let name = try m.string("general.architecture")
            guard let arch = ModelArchitecture(rawValue: name) else { throw LMError.unsupportedArchitecture(name, path: path) }
            let p = arch.keyPrefix + "."
            let dim = try m.int(p + "embedding_length")
            let heads = try m.int(p + "attention.head_count")
            let kvHeads = try m.optionalInt(p + "attention.head_count_kv") ?? heads
            var vocab = try m.optionalInt(p + "vocab_size") ?? 0
            if vocab == 0 { vocab = try m.stringArray("tokenizer.ggml.tokens").count }
            let ropeBase = m[p + "rope.freq_base"] == nil ? 10000 : try m.float(p + "rope.freq_base")
            self.init(vocabSize: vocab, dim: dim, hiddenDim: try m.int(p + "feed_forward_length"),
                      layers: try m.int(p + "block_count"), heads: heads, kvHeads: kvHeads,
                      ropeBase: Float(ropeBase),
                      normEpsilon: Float(try m.float(p + "attention.layer_norm_rms_epsilon")),
                      contextLength: try m.optionalInt(p + "context_length") ?? 2048, architecture: arch)
            ropeDims = try m.optionalInt(p + "rope.dimension_count")
        } catch let e as GGUFError {
            throw .file(.inFile(path: path, e))
        } catch let e as LMError {
            throw e
        } catch {
            // The block throws only GGUFError (metadata look-ups) and LMError (the architecture).
            throw .badHyperParameter(key: "general.architecture", value: "?", reason: "\(path): \(error)")
        }
        try validate()
        if let ropeDims, ropeDims != headDim {
            throw LMError.badHyperParameter(key: key("rope.dimension_count"), value: "\(ropeDims)",
                                            reason: "partial rotary embeddings are not supported (head size \(headDim))")
        }
    }

    /// The full GGUF key of one of this architecture's hyper-parameters.
    func key(_ name: String) -> String { architecture.keyPrefix + "." + name }

    func validate() throws(LMError) {
        func check(_ ok: Bool, _ name: String, _ value: Int, _ reason: String) throws(LMError) {
            if !ok { throw .badHyperParameter(key: key(name), value: "\(value)", reason: reason) }
        }
        try check(dim > 0 && dim <= 65536, "embedding_length", dim, "must be 1...65536")
        try check(heads > 0 && dim % heads == 0, "attention.head_count", heads, "must divide \(key("embedding_length")) (\(dim))")
        try check(kvHeads > 0 && heads % kvHeads == 0, "attention.head_count_kv", kvHeads, "must divide \(key("attention.head_count")) (\(heads))")
        try check(headDim % 2 == 0, "attention.head_count", heads, "head size \(headDim) must be even for rotary embeddings")
        try check(layers > 0 && layers <= 1024, "block_count", layers, "must be 1...1024")
        try check(hiddenDim > 0 && hiddenDim <= 1 << 20, "feed_forward_length", hiddenDim, "must be positive")
        try check(vocabSize > 0 && vocabSize <= 1 << 22, "vocab_size", vocabSize, "must be positive")
        try check(contextLength > 0 && contextLength <= 1 << 20, "context_length", contextLength, "must be 1...1048576")
        if !(ropeBase.isFinite && ropeBase > 0) {
            throw .badHyperParameter(key: key("rope.freq_base"), value: "\(ropeBase)", reason: "must be a positive finite number")
        }
        if !(normEpsilon.isFinite && normEpsilon > 0 && normEpsilon < 1) {
            throw .badHyperParameter(key: key("attention.layer_norm_rms_epsilon"), value: "\(normEpsilon)", reason: "must be in (0, 1)")
        }
    }
}
