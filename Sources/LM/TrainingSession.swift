import Foundation
import SwarmBase
import Tensor

/// Forward and backward passes for LoRA training on the frozen quantized core.
///
/// One session owns every buffer for a fixed [batch × seqLen]: the activations kept for the
/// backward pass (per layer), the scratch, and the gradient (same layout as the LoRA
/// parameters). Only the adapters get gradients; the core's matrices are read quantized, in
/// place, in both directions. The loss is cross-entropy on labelled positions only: a label at
/// position t (not -100) is the target predicted from positions ..<t.
public final class TrainingSession {
    public let model: LlamaModel
    public let lora: LoRAParameters
    public let gradients: FloatBuffer
    public let pool: ComputePool
    public let batch: Int
    public let seqLen: Int
    /// Seed for dropout masks (combined with the step counter).
    public var dropoutSeed: UInt64 = 0
    /// Arithmetic of the frozen-core matmuls (the adapters, attention and loss stay fp32).
    public var precision: Precision = .fp32
    public private(set) var steps = 0

    private let c: LlamaConfig
    private let n: Int
    private let rank: Int

    private struct Saved {
        let xIn, rstd1, q, k, v, probs, att, xMid, rstd2, gate, up: FloatBuffer
        var u: [LoRATarget: FloatBuffer]
        /// DoRA: the projection's output before the magnitude scaling (x·Wᵀ + s·x·Aᵀ·Bᵀ).
        var z: [LoRATarget: FloatBuffer]
    }
    /// DoRA per slot index: ‖W_o‖² (fixed) and this step's ‖W_o + s(BA)_o‖.
    private var doraBase: [Int: [Double]] = [:]
    private var doraNorm: [Int: FloatBuffer] = [:]
    private let dZ: FloatBuffer
    /// dS per worker in the attention backward pass ([threads][seqLen][seqLen]).
    private let attentionScratch: FloatBuffer
    /// Keeps the DoRA row norms of the last forward pass instead of recomputing them: the norm is a
    /// constant of the backward pass, so finite-difference checks must hold it fixed too.
    var doraNormsFrozen = false
    private var saved: [Saved] = []
    private let xFinal, rstdFinal, x, xn, tmp, act: FloatBuffer
    private let dX, dXn, dQ, dK, dV, dAtt, dAct, dGate, dUp: FloatBuffer
    private let sU, dU, dropX, dropDX: FloatBuffer
    private let ropeCos, ropeSin: FloatBuffer
    private let lossChunk = 128
    private let gathered, dGathered, logitBuffer: FloatBuffer

    public init(model: LlamaModel, lora: LoRAParameters, batch: Int, seqLen: Int, pool: ComputePool) {
        precondition(lora.model == model.config, "LoRA parameters were made for another model shape")
        self.model = model
        self.lora = lora
        self.pool = pool
        self.batch = batch
        self.seqLen = seqLen
        c = model.config
        n = batch * seqLen
        rank = lora.config.rank
        gradients = FloatBuffer(count: lora.count)
        let d = c.dim, kv = c.kvDim, h = c.hiddenDim
        for l in 0..<c.layers {
            var u: [LoRATarget: FloatBuffer] = [:], z: [LoRATarget: FloatBuffer] = [:]
            for t in lora.config.targets where lora.slot(layer: l, target: t) != nil {
                u[t] = FloatBuffer(count: n * rank)
                if lora.config.dora { z[t] = FloatBuffer(count: n * t.shape(c).out) }
            }
            saved.append(Saved(xIn: FloatBuffer(count: n * d), rstd1: FloatBuffer(count: n),
                               q: FloatBuffer(count: n * d), k: FloatBuffer(count: n * kv), v: FloatBuffer(count: n * kv),
                               probs: FloatBuffer(count: batch * c.heads * seqLen * seqLen), att: FloatBuffer(count: n * d),
                               xMid: FloatBuffer(count: n * d), rstd2: FloatBuffer(count: n),
                               gate: FloatBuffer(count: n * h), up: FloatBuffer(count: n * h), u: u, z: z))
        }
        xFinal = FloatBuffer(count: n * d)
        rstdFinal = FloatBuffer(count: n)
        x = FloatBuffer(count: n * d)
        xn = FloatBuffer(count: n * d)
        tmp = FloatBuffer(count: n * max(d, h))
        act = FloatBuffer(count: n * h)
        dX = FloatBuffer(count: n * d)
        dXn = FloatBuffer(count: n * d)
        dQ = FloatBuffer(count: n * d)
        dK = FloatBuffer(count: n * kv)
        dV = FloatBuffer(count: n * kv)
        dAtt = FloatBuffer(count: n * d)
        dAct = FloatBuffer(count: n * h)
        dGate = FloatBuffer(count: n * h)
        dUp = FloatBuffer(count: n * h)
        sU = FloatBuffer(count: n * rank)
        dU = FloatBuffer(count: n * rank)
        let dropSize = lora.config.dropout > 0 ? n * max(d, h) : 0
        dropX = FloatBuffer(count: dropSize)
        dropDX = FloatBuffer(count: dropSize)
        let half = c.headDim / 2
        ropeCos = FloatBuffer(count: seqLen * half)
        ropeSin = FloatBuffer(count: seqLen * half)
        for p in 0..<seqLen {
            for i in 0..<half {
                let angle = Double(p) * pow(Double(c.ropeBase), -2.0 * Double(i) / Double(c.headDim))
                ropeCos[p * half + i] = Float(cos(angle))
                ropeSin[p * half + i] = Float(sin(angle))
            }
        }
        precondition(!(lora.config.dora && lora.config.dropout > 0), "DoRA with LoRA dropout is not supported")
        dZ = FloatBuffer(count: lora.config.dora ? n * max(d, h) : 0)
        attentionScratch = FloatBuffer(count: pool.threads * seqLen * seqLen)
        if lora.config.dora {
            for (i, s) in lora.slots.enumerated() {
                doraBase[i] = DoRA.rowSquaredNorms(model.matrix(s.target, layer: s.layer))
                doraNorm[i] = FloatBuffer(count: s.outputs)
            }
        }
        gathered = FloatBuffer(count: lossChunk * d)
        dGathered = FloatBuffer(count: lossChunk * d)
        logitBuffer = FloatBuffer(count: lossChunk * c.vocabSize)
    }

    /// Bytes held by this session's buffers (activations, scratch, gradients).
    public var bufferBytes: Int {
        var total = gradients.count
        for s in saved {
            total += [s.xIn, s.rstd1, s.q, s.k, s.v, s.probs, s.att, s.xMid, s.rstd2, s.gate, s.up].reduce(0) { $0 + $1.count }
            total += s.u.values.reduce(0) { $0 + $1.count }
        }
        total += [xFinal, rstdFinal, x, xn, tmp, act, dX, dXn, dQ, dK, dV, dAtt, dAct, dGate, dUp, sU, dU, dropX, dropDX,
                  gathered, dGathered, logitBuffer].reduce(0) { $0 + $1.count }
        return total * 4
    }

    public func zeroGradients() { gradients.zero() }

    /// The summed cross-entropy over labelled positions and their count.
    public struct LossSum: Sendable {
        public var sum: Double
        public var tokens: Int
        public var mean: Double { tokens > 0 ? sum / Double(tokens) : 0 }
    }

    /// Forward and backward on one micro-batch; adds `lossScale` × d(sum of CE)/dθ to `gradients`.
    /// With gradient accumulation, pass lossScale = 1 / (labelled tokens in the whole step).
    public func accumulateGradients(ids: [Int32], labels: [Int32], lossScale: Float) throws(LMError) -> LossSum {
        let loss = try forward(ids: ids, labels: labels, backward: true, lossScale: lossScale)
        backward()
        steps += 1
        return loss
    }

    /// Forward only: the summed cross-entropy over labelled positions.
    public func evaluate(ids: [Int32], labels: [Int32]) throws(LMError) -> LossSum {
        try forward(ids: ids, labels: labels, backward: false, lossScale: 0)
    }

    // MARK: forward

    private func forward(ids: [Int32], labels: [Int32], backward: Bool, lossScale: Float) throws(LMError) -> LossSum {
        guard ids.count == n, labels.count == n else {
            throw .badHyperParameter(key: "batch", value: "\(ids.count) ids, \(labels.count) labels",
                                     reason: "this session takes exactly \(batch) x \(seqLen) = \(n) of each")
        }
        for t in ids where t < 0 || Int(t) >= c.vocabSize { throw .tokenOutOfRange(t, vocabSize: c.vocabSize) }
        for t in labels where t != -100 && (t < 0 || Int(t) >= c.vocabSize) { throw .tokenOutOfRange(t, vocabSize: c.vocabSize) }
        let d = c.dim, kv = c.kvDim, h = c.hiddenDim, isa = pool.isa
        if lora.config.dora && !doraNormsFrozen {  // this step's row norms (the parameters changed since the last one)
            for (i, s) in lora.slots.enumerated() {
                DoRA.norms(model.matrix(s.target, layer: s.layer), baseSquared: doraBase[i]!, lora: lora, slot: s, pool: pool,
                           into: doraNorm[i]!.pointer)
            }
        }
        for (i, t) in ids.enumerated() { model.tokenEmbedding.dequantizeRow(Int(t), into: x.pointer + i * d, isa: isa) }
        for (l, layer) in model.layers.enumerated() {
            let s = saved[l]
            s.xIn.pointer.update(from: x.pointer, count: n * d)
            rmsNorm(x.pointer, layer.attentionNorm, out: xn.pointer, rstd: s.rstd1.pointer)
            project(layer.q, l, .q, input: xn.pointer, inputs: d, out: s.q.pointer, outputs: d, u: s.u[.q])
            project(layer.k, l, .k, input: xn.pointer, inputs: d, out: s.k.pointer, outputs: kv, u: s.u[.k])
            project(layer.v, l, .v, input: xn.pointer, inputs: d, out: s.v.pointer, outputs: kv, u: s.u[.v])
            rope(s.q.pointer, heads: c.heads, inverse: false)
            rope(s.k.pointer, heads: c.kvHeads, inverse: false)
            attentionForward(s)
            project(layer.o, l, .o, input: s.att.pointer, inputs: d, out: tmp.pointer, outputs: d, u: s.u[.o])
            add(tmp.pointer, into: x.pointer, count: n * d)
            s.xMid.pointer.update(from: x.pointer, count: n * d)
            rmsNorm(x.pointer, layer.ffnNorm, out: xn.pointer, rstd: s.rstd2.pointer)
            project(layer.gate, l, .gate, input: xn.pointer, inputs: d, out: s.gate.pointer, outputs: h, u: s.u[.gate])
            project(layer.up, l, .up, input: xn.pointer, inputs: d, out: s.up.pointer, outputs: h, u: s.u[.up])
            swiglu(gate: s.gate.pointer, up: s.up.pointer, out: act.pointer)
            project(layer.down, l, .down, input: act.pointer, inputs: h, out: tmp.pointer, outputs: d, u: s.u[.down])
            add(tmp.pointer, into: x.pointer, count: n * d)
        }
        xFinal.pointer.update(from: x.pointer, count: n * d)
        return lossAndGradient(labels: labels, backward: backward, lossScale: lossScale)
    }

    /// out = input·Wᵀ + s·dropout(input)·Aᵀ·Bᵀ, saving input·Aᵀ in `u`.
    private func project(_ w: WeightMatrix, _ layer: Int, _ target: LoRATarget, input: UnsafeMutablePointer<Float>,
                         inputs: Int, out: UnsafeMutablePointer<Float>, outputs: Int, u: FloatBuffer?) {
        w.multiply(input, ldx: inputs, m: n, into: out, ldy: outputs, pool: pool, precision: precision)
        guard let u, let slot = lora.slot(layer: layer, target: target) else { return }
        let x = dropout(input, count: n * inputs, layer: layer, target: target, into: dropX)
        Linear.nt(x, lda: inputs, lora.a(slot), ldb: inputs, u.pointer, ldc: rank, m: n, n: rank, k: inputs,
                  accumulate: false, pool: pool)
        let scale = lora.config.scale
        for i in 0..<(n * rank) { sU[i] = u[i] * scale }
        Linear.nn(sU.pointer, rowStride: rank, colStride: 1, lora.bt(slot), ldb: outputs, out, ldc: outputs,
                  m: n, n: outputs, k: rank, accumulate: true, pool: pool)
        if let mag = lora.magnitude(slot), let z = saved[layer].z[target], let norm = doraNorm[slotIndex(slot)] {
            z.pointer.update(from: out, count: n * outputs)
            let np = norm.pointer, rows = n
            pool.parallelFor(rows) { range in
                for t in range { for o in 0..<outputs { out[t * outputs + o] *= mag[o] / np[o] } }
            }
        }
    }

    private func slotIndex(_ s: LoRAParameters.Slot) -> Int {
        s.layer * lora.config.targets.count + lora.config.targets.firstIndex(of: s.target)!
    }

    /// The LoRA input after dropout (the input itself when dropout is off). The mask depends only
    /// on (seed, step, layer, target), so the backward pass regenerates it.
    private func dropout(_ input: UnsafeMutablePointer<Float>, count: Int, layer: Int, target: LoRATarget,
                         into buffer: FloatBuffer) -> UnsafeMutablePointer<Float> {
        let p = lora.config.dropout
        guard p > 0 else { return input }
        var rng = maskGenerator(layer: layer, target: target)
        let keep = 1 / (1 - p)
        for i in 0..<count { buffer[i] = rng.nextFloat() < p ? 0 : input[i] * keep }
        return buffer.pointer
    }

    private func maskGenerator(layer: Int, target: LoRATarget) -> SeededRandom {
        SeededRandom(seed: dropoutSeed ^ (UInt64(steps) &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(layer * 16 + LoRATarget.allCases.firstIndex(of: target)!) << 48)
    }

    private func rmsNorm(_ src: UnsafeMutablePointer<Float>, _ weight: [Float], out: UnsafeMutablePointer<Float>,
                         rstd: UnsafeMutablePointer<Float>, rows: Int? = nil) {
        let d = c.dim, eps = c.normEpsilon
        weight.withUnsafeBufferPointer { wb in
            let w = wb.baseAddress!
            pool.parallelFor(rows ?? n) { range in for r in range {
                let x = src + r * d, y = out + r * d
                var ss: Float = 0
                for i in 0..<d { ss += x[i] * x[i] }
                let inv = 1 / (ss / Float(d) + eps).squareRoot()
                rstd[r] = inv
                for i in 0..<d { y[i] = x[i] * inv * w[i] }
            } }
        }
    }

    private func rope(_ vec: UnsafeMutablePointer<Float>, heads: Int, inverse: Bool) {
        let half = c.headDim / 2, hd = c.headDim, width = heads * hd
        let sign: Float = inverse ? -1 : 1
        pool.parallelFor(n) { rows in for row in rows {
            let p = row % seqLen
            let cs = ropeCos.pointer + p * half, sn = ropeSin.pointer + p * half
            for head in 0..<heads {
                let v = vec + row * width + head * hd
                for i in 0..<half {
                    let a = v[2 * i], b = v[2 * i + 1], s = sign * sn[i]
                    v[2 * i] = a * cs[i] - b * s
                    v[2 * i + 1] = a * s + b * cs[i]
                }
            }
        } }
    }

    private func add(_ src: UnsafeMutablePointer<Float>, into dst: UnsafeMutablePointer<Float>, count: Int) {
        pool.parallelFor(count) { r in for i in r { dst[i] += src[i] } }
    }

    private func swiglu(gate: UnsafeMutablePointer<Float>, up: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        let isa = pool.isa
        pool.parallelFor(n) { rows in
            let h = self.c.hiddenDim, o = rows.lowerBound * h
            Kernels.swiglu(gate + o, up + o, out + o, rows.count * h, isa: isa)
        }
    }

    /// Causal attention per (sequence, head) job with small GEMMs; saves the probabilities.
    private func attentionForward(_ s: Saved) {
        let T = seqLen, hd = c.headDim, d = c.dim, kv = c.kvDim, group = c.heads / c.kvHeads
        let scale = 1 / Float(hd).squareRoot(), isa = pool.isa, heads = c.heads
        let q = s.q.pointer, k = s.k.pointer, v = s.v.pointer, probs = s.probs.pointer, att = s.att.pointer
        pool.run { ith, nth in
            var job = ith
            while job < self.batch * heads {
                let b = job / heads, h = job % heads, g = h / group
                job += nth
                let p = probs + (b * heads + h) * T * T
                let qb = q + b * T * d + h * hd, kb = k + b * T * kv + g * hd, vb = v + b * T * kv + g * hd
                // S = Q·Kᵀ (full square; the upper triangle is masked below)
                Kernels.gemmNT(qb, lda: d, kb, ldb: kv, p, ldc: T, m: T, n: T, k: hd, accumulate: false, isa: isa)
                for i in 0..<T {
                    let row = p + i * T
                    var mx = -Float.infinity
                    for j in 0...i { row[j] *= scale; if row[j] > mx { mx = row[j] } }
                    var sum: Float = 0
                    for j in 0...i { row[j] = expf(row[j] - mx); sum += row[j] }
                    let inv = 1 / sum
                    for j in 0...i { row[j] *= inv }
                    if i + 1 < T { (row + i + 1).initialize(repeating: 0, count: T - i - 1) }
                }
                // O = P·V
                Kernels.gemmNN(p, rowStride: T, colStride: 1, vb, ldb: kv, att + b * T * d + h * hd, ldc: d,
                               m: T, n: hd, k: T, accumulate: false, isa: isa)
            }
        }
    }

    // MARK: loss

    private func lossAndGradient(labels: [Int32], backward: Bool, lossScale: Float) -> LossSum {
        let d = c.dim, vocab = c.vocabSize
        var rows: [(row: Int, target: Int)] = []
        for b in 0..<batch {
            for t in 1..<seqLen where labels[b * seqLen + t] != -100 {
                rows.append((b * seqLen + t - 1, Int(labels[b * seqLen + t])))
            }
        }
        if backward { dX.zero() }
        var total: Double = 0
        var start = 0
        let weights = model.outputNorm
        while start < rows.count {
            let chunk = Array(rows[start..<min(rows.count, start + lossChunk)])
            start += chunk.count
            // Final norm of the chosen rows only.
            for (i, r) in chunk.enumerated() {
                let rs = rstdFinal.pointer + r.row
                rmsNorm(xFinal.pointer + r.row * d, weights, out: gathered.pointer + i * d, rstd: rs, rows: 1)
            }
            model.output.multiply(gathered.pointer, ldx: d, m: chunk.count, into: logitBuffer.pointer, ldy: vocab, pool: pool,
                                  precision: precision)
            let logits = logitBuffer.pointer, isa = pool.isa
            var rowLoss = [Double](repeating: 0, count: chunk.count)
            rowLoss.withUnsafeMutableBufferPointer { lossOut in
                let out = lossOut.baseAddress!
                pool.parallelFor(chunk.count) { rows in
                    for i in rows {
                        out[i] = Kernels.softmaxCrossEntropy(logits + i * vocab, count: vocab, target: chunk[i].target,
                                                             gradientScale: backward ? lossScale : 0, isa: isa)
                    }
                }
            }
            total += rowLoss.reduce(0, +)
            guard backward else { continue }
            model.output.multiplyTransposed(logitBuffer.pointer, lddy: vocab, m: chunk.count, into: dGathered.pointer,
                                            lddx: d, accumulate: false, pool: pool, precision: precision)
            weights.withUnsafeBufferPointer { w in
                for (i, r) in chunk.enumerated() {
                    normBackward(dy: dGathered.pointer + i * d, x: xFinal.pointer + r.row * d, rstd: rstdFinal[r.row],
                                 weight: w.baseAddress!, into: dX.pointer + r.row * d)
                }
            }
        }
        return LossSum(sum: total, tokens: rows.count)
    }

    /// dX += norm backward of dXn for every row.
    private func normBackwardRows(weight: [Float], x: FloatBuffer, rstd: FloatBuffer) {
        let d = c.dim, dxn = dXn.pointer, dx = dX.pointer
        weight.withUnsafeBufferPointer { wb in
            let w = wb.baseAddress!
            pool.parallelFor(n) { rows in
                for r in rows { self.normBackward(dy: dxn + r * d, x: x.pointer + r * d, rstd: rstd[r], weight: w, into: dx + r * d) }
            }
        }
    }

    /// dx += rstd·w⊙dy − x·rstd³/d·Σ(w⊙dy⊙x)
    private func normBackward(dy: UnsafePointer<Float>, x: UnsafePointer<Float>, rstd: Float,
                              weight: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>) {
        let d = c.dim
        var dot: Float = 0
        for i in 0..<d { dot += weight[i] * dy[i] * x[i] }
        let k = dot * rstd * rstd * rstd / Float(d)
        for i in 0..<d { dx[i] += rstd * weight[i] * dy[i] - x[i] * k }
    }

    // MARK: backward

    private func backward() {
        let d = c.dim, kv = c.kvDim, h = c.hiddenDim
        for l in stride(from: c.layers - 1, through: 0, by: -1) {
            let layer = model.layers[l], s = saved[l]
            // FFN: x_out = xMid + down(silu(gate) ⊙ up)
            swiglu(gate: s.gate.pointer, up: s.up.pointer, out: act.pointer)
            projectBackward(layer.down, l, .down, input: act.pointer, inputs: h, dOut: dX.pointer, outputs: d,
                            dInput: dAct.pointer, accumulate: false, u: s.u[.down])
            let gp = s.gate.pointer, upp = s.up.pointer, da = dAct.pointer, dg = dGate.pointer, du = dUp.pointer, isa = pool.isa
            pool.parallelFor(n) { rows in
                let o = rows.lowerBound * h
                Kernels.swigluBackward(gp + o, upp + o, da + o, dg + o, du + o, rows.count * h, isa: isa)
            }
            rmsNorm(s.xMid.pointer, layer.ffnNorm, out: xn.pointer, rstd: s.rstd2.pointer)  // recomputed, not stored
            projectBackward(layer.gate, l, .gate, input: xn.pointer, inputs: d, dOut: dGate.pointer, outputs: h,
                            dInput: dXn.pointer, accumulate: false, u: s.u[.gate])
            projectBackward(layer.up, l, .up, input: xn.pointer, inputs: d, dOut: dUp.pointer, outputs: h,
                            dInput: dXn.pointer, accumulate: true, u: s.u[.up])
            normBackwardRows(weight: layer.ffnNorm, x: s.xMid, rstd: s.rstd2)
            // Attention: xMid = xIn + o(attention(rope(q), rope(k), v))
            projectBackward(layer.o, l, .o, input: s.att.pointer, inputs: d, dOut: dX.pointer, outputs: d,
                            dInput: dAtt.pointer, accumulate: false, u: s.u[.o])
            attentionBackward(s)
            rope(dQ.pointer, heads: c.heads, inverse: true)
            rope(dK.pointer, heads: c.kvHeads, inverse: true)
            rmsNorm(s.xIn.pointer, layer.attentionNorm, out: xn.pointer, rstd: s.rstd1.pointer)
            projectBackward(layer.q, l, .q, input: xn.pointer, inputs: d, dOut: dQ.pointer, outputs: d,
                            dInput: dXn.pointer, accumulate: false, u: s.u[.q])
            projectBackward(layer.k, l, .k, input: xn.pointer, inputs: d, dOut: dK.pointer, outputs: kv,
                            dInput: dXn.pointer, accumulate: true, u: s.u[.k])
            projectBackward(layer.v, l, .v, input: xn.pointer, inputs: d, dOut: dV.pointer, outputs: kv,
                            dInput: dXn.pointer, accumulate: true, u: s.u[.v])
            normBackwardRows(weight: layer.attentionNorm, x: s.xIn, rstd: s.rstd1)
        }
    }

    /// dInput (+)= dOut·W + LoRA terms; accumulates dA and dBt into `gradients`.
    private func projectBackward(_ w: WeightMatrix, _ layer: Int, _ target: LoRATarget, input: UnsafeMutablePointer<Float>,
                                 inputs: Int, dOut: UnsafeMutablePointer<Float>, outputs: Int,
                                 dInput: UnsafeMutablePointer<Float>, accumulate: Bool, u: FloatBuffer?) {
        var dOut = dOut
        if let slot = lora.slot(layer: layer, target: target), let mag = lora.magnitude(slot), let z = saved[layer].z[target],
           let norm = doraNorm[slotIndex(slot)] {
            // y = (m/n) ⊙ z with n constant: dm_o = Σ_t dy·z / n_o, dz = dy ⊙ m/n.
            let gm = gradients.pointer + slot.magnitudeOffset!, np = norm.pointer, zp = z.pointer, dz = dZ.pointer, dy = dOut
            for o in 0..<outputs {
                var s: Float = 0
                for t in 0..<n { s += dy[t * outputs + o] * zp[t * outputs + o] }
                gm[o] += s / np[o]
            }
            pool.parallelFor(n) { range in
                for t in range { for o in 0..<outputs { dz[t * outputs + o] = dy[t * outputs + o] * mag[o] / np[o] } }
            }
            dOut = dZ.pointer
        }
        w.multiplyTransposed(dOut, lddy: outputs, m: n, into: dInput, lddx: inputs, accumulate: accumulate, pool: pool,
                             precision: precision)
        guard let u, let slot = lora.slot(layer: layer, target: target) else { return }
        let scale = lora.config.scale
        let gA = gradients.pointer + slot.aOffset, gBt = gradients.pointer + slot.btOffset
        // dBt += s·Uᵀ·dOut
        for i in 0..<(n * rank) { sU[i] = u[i] * scale }
        Linear.nn(sU.pointer, rowStride: 1, colStride: rank, dOut, ldb: outputs, gBt, ldc: outputs,
                  m: rank, n: outputs, k: n, accumulate: true, pool: pool)
        // dU = s·dOut·Bt ᵀ
        Linear.nt(dOut, lda: outputs, lora.bt(slot), ldb: outputs, dU.pointer, ldc: rank, m: n, n: rank, k: outputs,
                  accumulate: false, pool: pool)
        for i in 0..<(n * rank) { dU[i] *= scale }
        // dA += dUᵀ·dropout(input)
        let x = dropout(input, count: n * inputs, layer: layer, target: target, into: dropX)
        Linear.nn(dU.pointer, rowStride: 1, colStride: rank, x, ldb: inputs, gA, ldc: inputs,
                  m: rank, n: inputs, k: n, accumulate: true, pool: pool)
        // dInput += mask ⊙ (dU·A)
        if lora.config.dropout > 0 {
            Linear.nn(dU.pointer, rowStride: rank, colStride: 1, lora.a(slot), ldb: inputs, dropDX.pointer, ldc: inputs,
                      m: n, n: inputs, k: rank, accumulate: false, pool: pool)
            let keep = 1 / (1 - lora.config.dropout)
            var rng = maskGenerator(layer: layer, target: target)
            for i in 0..<(n * inputs) where rng.nextFloat() >= lora.config.dropout { dInput[i] += dropDX[i] * keep }
        } else {
            Linear.nn(dU.pointer, rowStride: rank, colStride: 1, lora.a(slot), ldb: inputs, dInput, ldc: inputs,
                      m: n, n: inputs, k: rank, accumulate: true, pool: pool)
        }
    }

    /// dQ, dK, dV from dAtt through the saved probabilities, per (sequence, kv head) job (the
    /// heads of a group share dK and dV, so one job owns them all).
    private func attentionBackward(_ s: Saved) {
        let T = seqLen, hd = c.headDim, d = c.dim, kv = c.kvDim, group = c.heads / c.kvHeads
        let scale = 1 / Float(hd).squareRoot(), isa = pool.isa, heads = c.heads, kvHeads = c.kvHeads
        let q = s.q.pointer, k = s.k.pointer, v = s.v.pointer, probs = s.probs.pointer
        let dO = dAtt.pointer, dq = dQ.pointer, dk = dK.pointer, dv = dV.pointer
        let scratch = attentionScratch
        pool.run { ith, nth in
            let ds = scratch.pointer + ith * T * T
            var job = ith
            while job < self.batch * kvHeads {
                let b = job / kvHeads, g = job % kvHeads
                job += nth
                let kb = k + b * T * kv + g * hd, vb = v + b * T * kv + g * hd
                let dkb = dk + b * T * kv + g * hd, dvb = dv + b * T * kv + g * hd
                for h in (g * group)..<((g + 1) * group) {
                    let p = probs + (b * heads + h) * T * T
                    let dob = dO + b * T * d + h * hd, qb = q + b * T * d + h * hd, dqb = dq + b * T * d + h * hd
                    // dV (+)= Pᵀ·dO
                    Kernels.gemmNN(p, rowStride: 1, colStride: T, dob, ldb: d, dvb, ldc: kv, m: T, n: hd, k: T,
                                   accumulate: h != g * group, isa: isa)
                    // dP = dO·Vᵀ, then dS = P ⊙ (dP − rowsum(P ⊙ dP)) · scale
                    Kernels.gemmNT(dob, lda: d, vb, ldb: kv, ds, ldc: T, m: T, n: T, k: hd, accumulate: false, isa: isa)
                    for i in 0..<T {
                        let pr = p + i * T, dr = ds + i * T
                        var dot: Float = 0
                        for j in 0...i { dot += pr[j] * dr[j] }
                        for j in 0...i { dr[j] = pr[j] * (dr[j] - dot) * scale }
                        if i + 1 < T { (dr + i + 1).initialize(repeating: 0, count: T - i - 1) }
                    }
                    // dQ = dS·K; dK (+)= dSᵀ·Q
                    Kernels.gemmNN(ds, rowStride: T, colStride: 1, kb, ldb: kv, dqb, ldc: d, m: T, n: hd, k: T,
                                   accumulate: false, isa: isa)
                    Kernels.gemmNN(ds, rowStride: 1, colStride: T, qb, ldb: d, dkb, ldc: kv, m: T, n: hd, k: T,
                                   accumulate: h != g * group, isa: isa)
                }
            }
        }
    }
}
