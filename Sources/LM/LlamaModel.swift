import ModelIO
import SwarmBase
import Quant
import Tensor

/// The weights of one transformer block, read in place from the core file.
public struct LlamaLayer: Sendable {
    public let attentionNorm: [Float]
    /// Q, K and V biases (Qwen2 has them; Llama files usually do not), added after the product.
    public let qBias: [Float]?
    public let kBias: [Float]?
    public let vBias: [Float]?
    public let q: WeightMatrix
    public let k: WeightMatrix
    public let v: WeightMatrix
    public let o: WeightMatrix
    public let ffnNorm: [Float]
    public let gate: WeightMatrix
    public let up: WeightMatrix
    public let down: WeightMatrix
}

/// A Llama-family model (see `ModelArchitecture`) whose matrices stay quantized in the
/// memory-mapped GGUF file.
///
/// Q and K rows stay in the order the file holds them; rotary embeddings pair rows the way that
/// order needs (`ModelArchitecture.rotaryPairing`), so attention scores equal the original model's.
public final class LlamaModel: Sendable {
    /// The core's identity (SHA-256 over architecture, tokenizer and tensors); reads the whole file.
    public func computeCoreHash() -> Digest32 { CoreHash.compute(file) }

    public let config: LlamaConfig
    public let file: GGUFModelFile
    public let tokenEmbedding: WeightMatrix
    public let output: WeightMatrix
    public let outputNorm: [Float]
    public let layers: [LlamaLayer]
    /// Llama 3's rotary frequency divisors (`rope_freqs.weight`, headDim/2 values), nil when the
    /// file has none.
    public let ropeFrequencyFactors: [Float]?

    /// `decodeTables` builds fp32 copies of the Q4_1/Q8_0 block scales (about 30 MB for
    /// SmolLM2-135M) that speed up one-token decoding; training alone does not need them.
    public convenience init(path: String, decodeTables: Bool = true) throws(LMError) {
        let file: GGUFModelFile
        do { file = try GGUFModelFile(path: path) } catch { throw .file(error) }
        try self.init(file: file, decodeTables: decodeTables)
    }

    public init(file: GGUFModelFile, decodeTables: Bool = true) throws(LMError) {
        self.file = file
        let c = try LlamaConfig(metadata: file.metadata, path: file.path)
        config = c

        func matrix(_ name: String, rows: Int, cols: Int) throws(LMError) -> WeightMatrix {
            guard let info = file.gguf.tensor(named: name) else { throw .badTensor(name: name, reason: "missing from \(file.path)") }
            guard info.shape.count == 2, info.columns == cols, info.rows == rows else {
                throw .badTensor(name: name, reason: "shape \(info.shape) (ggml order), expected [\(cols), \(rows)]")
            }
            var m = WeightMatrix(type: info.type, rows: rows, columns: cols, bytes: file.data(of: info), owner: file)
            m.buildKernelLayout()
            // NF4 is read from its re-laid copy from here on: its file pages can leave memory.
            if m.type == .nf4, m.isFused { file.releasePages(of: info) }
            if decodeTables { m.buildScaleTables() }
            return m
        }
        func vector(_ name: String, count: Int) throws(LMError) -> [Float] {
            guard let info = file.gguf.tensor(named: name) else { throw .badTensor(name: name, reason: "missing from \(file.path)") }
            guard info.elementCount == count, info.type == .f32 || info.type == .f16 || info.type == .bf16 else {
                throw .badTensor(name: name, reason: "expected \(count) F32/F16/BF16 values, found \(info.elementCount) of \(info.type)")
            }
            let m = WeightMatrix(type: info.type, rows: 1, columns: count, bytes: file.data(of: info), owner: file)
            var out = [Float](repeating: 0, count: count)
            out.withUnsafeMutableBufferPointer { m.dequantizeRow(0, into: $0.baseAddress!, isa: Kernels.detectedISA) }
            return out
        }

        tokenEmbedding = try matrix("token_embd.weight", rows: c.vocabSize, cols: c.dim)
        output = file.gguf.tensor(named: "output.weight") != nil
            ? try matrix("output.weight", rows: c.vocabSize, cols: c.dim) : tokenEmbedding
        outputNorm = try vector("output_norm.weight", count: c.dim)
        if file.gguf.tensor(named: "rope_freqs.weight") != nil {
            let factors = try vector("rope_freqs.weight", count: c.headDim / 2)
            if let bad = factors.first(where: { !($0.isFinite && $0 > 0) }) {
                throw .badTensor(name: "rope_freqs.weight", reason: "frequency factor \(bad) in \(file.path); each must be positive and finite")
            }
            ropeFrequencyFactors = factors
        } else {
            ropeFrequencyFactors = nil
        }
        func bias(_ name: String, count: Int) throws(LMError) -> [Float]? {
            file.gguf.tensor(named: name) == nil ? nil : try vector(name, count: count)
        }
        var layers: [LlamaLayer] = []
        for i in 0..<c.layers {
            let p = "blk.\(i)."
            layers.append(LlamaLayer(
                attentionNorm: try vector(p + "attn_norm.weight", count: c.dim),
                qBias: try bias(p + "attn_q.bias", count: c.dim),
                kBias: try bias(p + "attn_k.bias", count: c.kvDim),
                vBias: try bias(p + "attn_v.bias", count: c.kvDim),
                q: try matrix(p + "attn_q.weight", rows: c.dim, cols: c.dim),
                k: try matrix(p + "attn_k.weight", rows: c.kvDim, cols: c.dim),
                v: try matrix(p + "attn_v.weight", rows: c.kvDim, cols: c.dim),
                o: try matrix(p + "attn_output.weight", rows: c.dim, cols: c.dim),
                ffnNorm: try vector(p + "ffn_norm.weight", count: c.dim),
                gate: try matrix(p + "ffn_gate.weight", rows: c.hiddenDim, cols: c.dim),
                up: try matrix(p + "ffn_up.weight", rows: c.hiddenDim, cols: c.dim),
                down: try matrix(p + "ffn_down.weight", rows: c.dim, cols: c.hiddenDim)))
        }
        self.layers = layers
    }
}
