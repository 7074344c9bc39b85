import Foundation
import Tensor

/// One running sequence over a model: the KV cache and the activation buffers, sized once.
///
/// Feed tokens with `append(_:)`; it returns the logits after the last one. Not thread-safe:
/// a session belongs to one caller, and runs its kernels on its own compute pool.
public final class InferenceSession {
    public let model: LlamaModel
    public let pool: ComputePool
    public let contextLength: Int
    /// The number of tokens in the cache (the next token's position).
    public var position: Int { cached.count }
    /// The tokens whose keys and values the cache holds, in position order: what `rewind(to:)`
    /// may keep.
    public private(set) var cached: [Int32] = []
    /// Tokens processed per forward pass when prefilling.
    public let maxBatch: Int

    private let c: LlamaConfig
    /// [layer][kv head][position][headDim]: each KV head's positions are one contiguous stream,
    /// which decode attention reads once per query head group.
    private let keyCache: FloatBuffer
    private let valueCache: FloatBuffer
    private let x, xn, q, k, v, attn, tmp: FloatBuffer
    private let gate, up: FloatBuffer
    private let scores: FloatBuffer       // per worker: [scoreRows][contextLength]
    /// Rows of each worker's score area: a prompt chunk's queries, or a decoded token's query group.
    private let scoreRows: Int
    public let logits: FloatBuffer
    /// LoRA adapters applied on top of the frozen projections (nil: the bare core). The
    /// parameters are read at every step, so a trainer may update them in place.
    public var lora: LoRAParameters? {
        didSet {
            // Scratch for x·Aᵀ: [maxBatch, rank], sized for the adapter attached (any rank).
            let needed = maxBatch * (lora?.config.rank ?? 0)
            if needed > loraU.count { loraU = FloatBuffer(scratch: needed) }
            refreshAdapter()
        }
    }
    private var loraU: FloatBuffer  // (maxBatch, rank)
    /// DoRA row norms per (layer, target), for the adapter's current values.
    private var doraNorms: [Int: FloatBuffer] = [:]

    /// Recomputes what depends on the adapter's values (DoRA's row norms); call after changing
    /// the parameters of an attached adapter in place.
    public func refreshAdapter() {
        // Keys and values in the cache came from the old values: the sequence starts over.
        reset()
        doraNorms = [:]
        guard let lora, lora.config.dora else { return }
        for s in lora.slots {
            let w = model.matrix(s.target, layer: s.layer)
            let norm = FloatBuffer(scratch: s.outputs)
            DoRA.norms(w, baseSquared: DoRA.rowSquaredNorms(w), lora: lora, slot: s, pool: pool, into: norm.pointer)
            doraNorms[s.layer * 16 + LoRATarget.allCases.firstIndex(of: s.target)!] = norm
        }
    }
    private let rotary: RotaryEmbedding

    /// Allocates the key/value cache for `contextLength` tokens (at most the core's own) and the
    /// scratch for prompts run `maxBatch` tokens at a time. Throws when the memory cannot be had;
    /// the caller names the flag or file the context length came from.
    public init(model: LlamaModel, contextLength: Int? = nil, maxBatch: Int = 64, pool: ComputePool? = nil) throws(AllocationError) {
        self.model = model
        c = model.config
        self.contextLength = min(contextLength ?? c.contextLength, c.contextLength)
        self.maxBatch = max(1, maxBatch)
        self.pool = pool ?? ComputePool()
        let ctx = self.contextLength, b = self.maxBatch
        keyCache = try FloatBuffer(count: c.layers * ctx * c.kvDim)
        valueCache = try FloatBuffer(count: c.layers * ctx * c.kvDim)
        x = try FloatBuffer(count: b * c.dim)
        xn = try FloatBuffer(count: b * c.dim)
        q = try FloatBuffer(count: b * c.dim)
        k = try FloatBuffer(count: b * c.kvDim)
        v = try FloatBuffer(count: b * c.kvDim)
        attn = try FloatBuffer(count: b * c.dim)
        tmp = try FloatBuffer(count: b * c.dim)
        gate = try FloatBuffer(count: b * c.hiddenDim)
        up = try FloatBuffer(count: b * c.hiddenDim)
        scoreRows = max(b, c.heads / max(1, c.kvHeads))
        scores = try FloatBuffer(count: self.pool.threads * scoreRows * ctx)
        logits = try FloatBuffer(count: c.vocabSize)
        loraU = try FloatBuffer(count: b * 16)
        rotary = try RotaryEmbedding(config: c, frequencyFactors: model.ropeFrequencyFactors, positions: ctx)
    }

    /// Forgets the sequence (the cache is overwritten as new tokens arrive).
    public func reset() { cached.removeAll(keepingCapacity: true) }

    /// Keeps the first `count` tokens of the sequence and forgets the rest, so a prompt that
    /// begins with them continues from the cache instead of running them again. Their keys and
    /// values are exactly those of the earlier run (the cache is append-only per position); an
    /// adapter changed since then (`lora`, `refreshAdapter`) has already reset the sequence.
    public func rewind(to count: Int) {
        precondition(count >= 0 && count <= cached.count, "rewind(to: \(count)) past the \(cached.count) cached tokens")
        cached.removeLast(cached.count - count)
    }

    /// Runs `tokens` through the model at the next positions and returns the logits after the
    /// last one (valid until the next call).
    @discardableResult
    public func append(_ tokens: [Int32]) throws(LMError) -> UnsafeBufferPointer<Float> {
        guard position + tokens.count <= contextLength else {
            throw .contextFull(position: position + tokens.count, contextLength: contextLength)
        }
        for t in tokens where t < 0 || Int(t) >= c.vocabSize { throw .tokenOutOfRange(t, vocabSize: c.vocabSize) }
        var start = 0
        while start < tokens.count {
            let n = min(maxBatch, tokens.count - start)
            forward(Array(tokens[start..<(start + n)]), computeLogits: start + n == tokens.count)
            start += n
        }
        return UnsafeBufferPointer(logits.buffer)
    }

    private func forward(_ tokens: [Int32], computeLogits: Bool) {
        let n = tokens.count, dim = c.dim, kvDim = c.kvDim, hd = c.headDim, isa = pool.isa
        let p0 = position
        for (i, t) in tokens.enumerated() {
            model.tokenEmbedding.dequantizeRow(Int(t), into: x.pointer + i * dim, isa: isa)
        }
        for (l, layer) in model.layers.enumerated() {
            rmsNorm(x.pointer, layer.attentionNorm, into: xn.pointer, rows: n)
            project([(layer.q, .q, q.pointer), (layer.k, .k, k.pointer), (layer.v, .v, v.pointer)], l, xn.pointer, n)
            layer.addAttentionBiases(q: q.pointer, k: k.pointer, v: v.pointer, rows: n)
            for i in 0..<n {
                rotary.rotate(q.pointer + i * dim, heads: c.heads, position: p0 + i)
                rotary.rotate(k.pointer + i * kvDim, heads: c.kvHeads, position: p0 + i)
            }
            let layerCache = l * contextLength * kvDim
            for g in 0..<c.kvHeads {
                let headCache = layerCache + (g * contextLength + p0) * hd
                for i in 0..<n {
                    (keyCache.pointer + headCache + i * hd).update(from: k.pointer + i * kvDim + g * hd, count: hd)
                    (valueCache.pointer + headCache + i * hd).update(from: v.pointer + i * kvDim + g * hd, count: hd)
                }
            }
            attention(tokens: n, layerOffset: layerCache, isa: isa)
            project(layer.o, l, .o, attn.pointer, dim, n, tmp.pointer, dim)
            add(tmp.pointer, into: x.pointer, count: n * dim)

            rmsNorm(x.pointer, layer.ffnNorm, into: xn.pointer, rows: n)
            project([(layer.gate, .gate, gate.pointer), (layer.up, .up, up.pointer)], l, xn.pointer, n)
            Kernels.swiglu(gate.pointer, up.pointer, gate.pointer, n * c.hiddenDim, isa: isa)
            project(layer.down, l, .down, gate.pointer, c.hiddenDim, n, tmp.pointer, dim)
            add(tmp.pointer, into: x.pointer, count: n * dim)
        }
        cached += tokens
        _ = hd
        guard computeLogits else { return }
        let last = x.pointer + (n - 1) * dim
        rmsNorm(last, model.outputNorm, into: xn.pointer, rows: 1)
        model.output.multiply(xn.pointer, ldx: dim, m: 1, into: logits.pointer, ldy: c.vocabSize, pool: pool)
    }

    /// out = x·Wᵀ (+ s·x·Aᵀ·Bᵀ when an adapter covers this projection).
    private func project(_ w: WeightMatrix, _ layer: Int, _ target: LoRATarget, _ x: UnsafeMutablePointer<Float>,
                         _ inputs: Int, _ m: Int, _ out: UnsafeMutablePointer<Float>, _ outputs: Int) {
        w.multiply(x, ldx: inputs, m: m, into: out, ldy: outputs, pool: pool)
        addAdapter(layer, target, x, inputs, m, out, outputs)
    }

    /// Projections of one input (q, k and v; gate and up): a decoded token's in one pool run
    /// (`WeightMatrix.multiply(_:by:pool:)`), a prompt's one by one; then each one's adapter.
    private func project(_ products: [(w: WeightMatrix, target: LoRATarget, out: UnsafeMutablePointer<Float>)], _ layer: Int,
                         _ x: UnsafeMutablePointer<Float>, _ m: Int) {
        let inputs = c.dim
        if m == 1 {
            WeightMatrix.multiply(x, by: products.map { ($0.w, $0.out) }, pool: pool)
            for p in products { addAdapter(layer, p.target, x, inputs, m, p.out, p.w.rows) }
        } else {
            for p in products { project(p.w, layer, p.target, x, inputs, m, p.out, p.w.rows) }
        }
    }

    /// out += s·x·Aᵀ·Bᵀ (and DoRA's magnitude) when an adapter covers this projection.
    private func addAdapter(_ layer: Int, _ target: LoRATarget, _ x: UnsafeMutablePointer<Float>, _ inputs: Int, _ m: Int,
                            _ out: UnsafeMutablePointer<Float>, _ outputs: Int) {
        guard let lora, let slot = lora.slot(layer: layer, target: target) else { return }
        let r = lora.config.rank
        assert(m * r <= loraU.count, "the lora setter sizes the scratch for the rank")
        Linear.nt(x, lda: inputs, lora.a(slot), ldb: inputs, loraU.pointer, ldc: r, m: m, n: r, k: inputs,
                  accumulate: false, pool: pool)
        let s = lora.config.scale
        for i in 0..<(m * r) { loraU[i] *= s }
        Linear.nn(loraU.pointer, rowStride: r, colStride: 1, lora.bt(slot), ldb: outputs, out, ldc: outputs,
                  m: m, n: outputs, k: r, accumulate: true, pool: pool)
        if let mag = lora.magnitude(slot), let norm = doraNorms[layer * 16 + LoRATarget.allCases.firstIndex(of: target)!] {
            for t in 0..<m { for o in 0..<outputs { out[t * outputs + o] *= mag[o] / norm[o] } }
        }
    }

    private func rmsNorm(_ src: UnsafeMutablePointer<Float>, _ weight: [Float], into dst: UnsafeMutablePointer<Float>, rows: Int) {
        let dim = c.dim, eps = c.normEpsilon, isa = pool.isa
        weight.withUnsafeBufferPointer { w in
            for r in 0..<rows {
                let s = src + r * dim, d = dst + r * dim
                let ss = Kernels.dot(s, s, dim, isa: isa)  // as training's norm sums
                let scale = 1 / (ss / Float(dim) + eps).squareRoot()
                for i in 0..<dim { d[i] = s[i] * scale * w[i] }
            }
        }
    }

    private func add(_ src: UnsafeMutablePointer<Float>, into dst: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { dst[i] += src[i] }
    }

    /// Causal grouped-query attention for the `tokens` newest positions: a prompt's rows by small
    /// GEMMs per head (`blockAttention`); one decoded token by `Kernels.attendGroup`, each thread
    /// taking a contiguous range of heads and one call per run of its heads that share a KV head
    /// (so a KV head's cache is read once per thread that needs it, not once per query head).
    private func attention(tokens n: Int, layerOffset: Int, isa: Int32) {
        let hd = c.headDim, scale = 1 / Float(hd).squareRoot(), p0 = position
        let kc = keyCache.pointer + layerOffset, vc = valueCache.pointer + layerOffset
        if n > 1 {
            blockAttention(tokens: n, from: p0, keys: kc, values: vc, scale: scale, isa: isa)
            return
        }
        let heads = c.heads, group = c.heads / c.kvHeads, ctx = contextLength
        let qp = q.pointer, out = attn.pointer, scoreBase = scores.pointer, area = scoreRows * contextLength
        pool.run { ith, nth in
            let sc = scoreBase + ith * area
            var h = heads * ith / nth
            let end = heads * (ith + 1) / nth
            while h < end {
                let kvHead = h / group
                let run = min(end, (kvHead + 1) * group) - h
                let kvOff = kvHead * ctx * hd
                Kernels.attendGroup(qp + h * hd, group: run, keys: kc + kvOff, values: vc + kvOff, stride: hd,
                                    length: p0 + 1, headDim: hd, scale: scale, scores: sc, into: out + h * hd, isa: isa)
                h += run
            }
        }
    }

    /// Attention of `n` query rows at positions p0..<p0 + n (a prompt, or its chunk after p0 cached
    /// positions), per head with small GEMMs as training does: S = Q·Kᵀ by blocks of rows (rows
    /// [r0, r1) meet only the keys [0, p0 + r1)), the causal softmax, then O = P·V. A dot product
    /// and an axpy per (query, key), as decode does, took a tenth of a 128-token prefill.
    private func blockAttention(tokens n: Int, from p0: Int, keys kc: UnsafeMutablePointer<Float>,
                                values vc: UnsafeMutablePointer<Float>, scale: Float, isa: Int32) {
        let dim = c.dim, hd = c.headDim, heads = c.heads, group = c.heads / c.kvHeads, ctx = contextLength
        let qp = q.pointer, out = attn.pointer, scoreBase = scores.pointer, area = scoreRows * contextLength
        let width = p0 + n, block = TrainingSession.causalBlock
        pool.run { ith, nth in
            let sc = scoreBase + ith * area  // [n][width]
            var next = ith
            while next < heads {
                let h = next
                next += nth
                let qh = qp + h * hd, kh = kc + (h / group) * ctx * hd, vh = vc + (h / group) * ctx * hd, oh = out + h * hd
                for r0 in stride(from: 0, to: n, by: block) {
                    let r1 = min(n, r0 + block)
                    Kernels.gemmNT(qh + r0 * dim, lda: dim, kh, ldb: hd, sc + r0 * width, ldc: width,
                                   m: r1 - r0, n: p0 + r1, k: hd, accumulate: false, isa: isa)
                }
                Kernels.causalSoftmax(rows: n, sc, ld: width, first: p0 + 1, width: width, scale: scale, isa: isa)
                for r0 in stride(from: 0, to: n, by: block) {
                    let r1 = min(n, r0 + block)
                    Kernels.gemmNN(sc + r0 * width, rowStride: width, colStride: 1, vh, ldb: hd, oh + r0 * dim, ldc: dim,
                                   m: r1 - r0, n: hd, k: p0 + r1, accumulate: false, isa: isa)
                }
            }
        }
    }
}
