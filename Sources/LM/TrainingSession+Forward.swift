import Foundation
import Tensor

extension TrainingSession {
    /// Embeds `ids`, runs every layer (keeping its activations), then the loss; with `backward`
    /// also leaves d(loss)/d(residualFinal) in dResidual.
    func forward(ids: [Int32], labels: [Int32], backward: Bool, lossScale: Float) throws(LMError) -> LossSum {
        let n = tokens
        guard ids.count == n, labels.count == n else {
            throw .badHyperParameter(key: "batch", value: "\(ids.count) ids, \(labels.count) labels",
                                     reason: "this session takes exactly \(batch) x \(seqLen) = \(n) of each")
        }
        for t in ids where t < 0 || Int(t) >= config.vocabSize { throw .tokenOutOfRange(t, vocabSize: config.vocabSize) }
        for t in labels where t != -100 && (t < 0 || Int(t) >= config.vocabSize) {
            throw .tokenOutOfRange(t, vocabSize: config.vocabSize)
        }
        let d = config.dim, kv = config.kvDim, h = config.hiddenDim, isa = pool.isa
        if lora.config.dora && !doraNormsFrozen { refreshDoRARowNorms() }
        for (i, t) in ids.enumerated() { model.tokenEmbedding.dequantizeRow(Int(t), into: residual.pointer + i * d, isa: isa) }
        for (l, layer) in model.layers.enumerated() {
            let a = activations[l]
            a.residualIn.pointer.update(from: residual.pointer, count: n * d)
            rmsNorm(residual.pointer, layer.attentionNorm, out: normed.pointer, rstd: a.attentionRstd.pointer)
            project(layer.q, l, .q, input: normed.pointer, inputs: d, out: a.query.pointer, outputs: d, hidden: a.adapterHidden[.q])
            project(layer.k, l, .k, input: normed.pointer, inputs: d, out: a.key.pointer, outputs: kv, hidden: a.adapterHidden[.k])
            project(layer.v, l, .v, input: normed.pointer, inputs: d, out: a.value.pointer, outputs: kv, hidden: a.adapterHidden[.v])
            layer.addAttentionBiases(q: a.query.pointer, k: a.key.pointer, v: a.value.pointer, rows: n)
            rope(a.query.pointer, heads: config.heads, inverse: false)
            rope(a.key.pointer, heads: config.kvHeads, inverse: false)
            attentionForward(a)
            project(layer.o, l, .o, input: a.attentionOut.pointer, inputs: d, out: branchOut.pointer, outputs: d,
                    hidden: a.adapterHidden[.o])
            add(branchOut.pointer, into: residual.pointer, count: n * d)
            a.residualMid.pointer.update(from: residual.pointer, count: n * d)
            rmsNorm(residual.pointer, layer.ffnNorm, out: normed.pointer, rstd: a.ffnRstd.pointer)
            project(layer.gate, l, .gate, input: normed.pointer, inputs: d, out: a.gate.pointer, outputs: h,
                    hidden: a.adapterHidden[.gate])
            project(layer.up, l, .up, input: normed.pointer, inputs: d, out: a.up.pointer, outputs: h, hidden: a.adapterHidden[.up])
            swiglu(gate: a.gate.pointer, up: a.up.pointer, out: mlpHidden.pointer)
            project(layer.down, l, .down, input: mlpHidden.pointer, inputs: h, out: branchOut.pointer, outputs: d,
                    hidden: a.adapterHidden[.down])
            add(branchOut.pointer, into: residual.pointer, count: n * d)
        }
        residualFinal.pointer.update(from: residual.pointer, count: n * d)
        return lossAndGradient(labels: labels, backward: backward, lossScale: lossScale)
    }

    /// out = input·Wᵀ + s·dropout(input)·Aᵀ·Bᵀ (then DoRA's magnitude scaling), saving
    /// dropout(input)·Aᵀ in `hidden` when this projection is adapted.
    func project(_ w: WeightMatrix, _ layer: Int, _ target: LoRATarget, input: UnsafeMutablePointer<Float>,
                 inputs: Int, out: UnsafeMutablePointer<Float>, outputs: Int, hidden: FloatBuffer?) {
        let n = tokens
        w.multiply(input, ldx: inputs, m: n, into: out, ldy: outputs, pool: pool, precision: precision)
        guard let hidden, let slot = lora.slot(layer: layer, target: target) else { return }
        let x = dropout(input, count: n * inputs, layer: layer, target: target, into: droppedInput)
        Linear.nt(x, lda: inputs, lora.a(slot), ldb: inputs, hidden.pointer, ldc: rank, m: n, n: rank, k: inputs,
                  accumulate: false, pool: pool)
        let scale = lora.config.scale
        for i in 0..<(n * rank) { scaledHidden[i] = hidden[i] * scale }
        Linear.nn(scaledHidden.pointer, rowStride: rank, colStride: 1, lora.bt(slot), ldb: outputs, out, ldc: outputs,
                  m: n, n: outputs, k: rank, accumulate: true, pool: pool)
        applyDoRAMagnitude(slot, layer: layer, target: target, out: out, outputs: outputs)
    }

    /// Rows per block of the attention products: a block of query rows [r0, r1) meets only keys
    /// [0, r1), so the products skip most of the masked upper triangle (5/8 of the square's work
    /// at 128 tokens) while each call stays large enough for the micro-kernels.
    public static let causalBlock = 32

    /// Causal attention per (sequence, head) job with small GEMMs; saves the probabilities.
    func attentionForward(_ a: LayerActivations) {
        let T = seqLen, hd = config.headDim, d = config.dim, kv = config.kvDim, group = config.heads / config.kvHeads
        let scale = 1 / Float(hd).squareRoot(), isa = pool.isa, heads = config.heads
        let q = a.query.pointer, k = a.key.pointer, v = a.value.pointer, probs = a.attentionProbs.pointer
        let att = a.attentionOut.pointer
        pool.run { ith, nth in
            var job = ith
            while job < self.batch * heads {
                let b = job / heads, h = job % heads, g = h / group
                job += nth
                let p = probs + (b * heads + h) * T * T
                let qb = q + b * T * d + h * hd, kb = k + b * T * kv + g * hd, vb = v + b * T * kv + g * hd
                // S = Q·Kᵀ, by blocks of rows: rows [r0, r1) need only the keys [0, r1) (causal;
                // the rest of the upper triangle is zeroed below).
                for r0 in stride(from: 0, to: T, by: Self.causalBlock) {
                    let r1 = min(T, r0 + Self.causalBlock)
                    Kernels.gemmNT(qb + r0 * d, lda: d, kb, ldb: kv, p + r0 * T, ldc: T, m: r1 - r0, n: r1, k: hd,
                                   accumulate: false, isa: isa)
                }
                Kernels.causalSoftmax(p, t: T, scale: scale, isa: isa)
                // O = P·V; rows [r0, r1) of P are zero past column r1
                for r0 in stride(from: 0, to: T, by: Self.causalBlock) {
                    let r1 = min(T, r0 + Self.causalBlock)
                    Kernels.gemmNN(p + r0 * T, rowStride: T, colStride: 1, vb, ldb: kv, att + b * T * d + h * hd + r0 * d, ldc: d,
                                   m: r1 - r0, n: hd, k: r1, accumulate: false, isa: isa)
                }
            }
        }
    }
}
