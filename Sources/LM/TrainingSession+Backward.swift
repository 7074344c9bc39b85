import Tensor

extension TrainingSession {
    /// The layers last to first, from dResidual = d(loss)/d(residualFinal): gradients of the
    /// adapters accumulate into `gradients`; the frozen core's matrices pass dX through.
    func backward() {
        let n = tokens, d = config.dim, kv = config.kvDim, h = config.hiddenDim
        for l in stride(from: config.layers - 1, through: 0, by: -1) {
            let layer = model.layers[l], a = activations[l]
            // FFN: residual out = residualMid + down(silu(gate) ⊙ up)
            swiglu(gate: a.gate.pointer, up: a.up.pointer, out: mlpHidden.pointer)  // recomputed, not stored
            projectBackward(layer.down, l, .down, input: mlpHidden.pointer, inputs: h, dOut: dResidual.pointer, outputs: d,
                            dInput: dMLPHidden.pointer, accumulate: false, hidden: a.adapterHidden[.down])
            let gp = a.gate.pointer, upp = a.up.pointer, dh = dMLPHidden.pointer, dg = dGate.pointer, du = dUp.pointer
            let isa = pool.isa
            pool.parallelFor(n) { rows in
                let o = rows.lowerBound * h
                Kernels.swigluBackward(gp + o, upp + o, dh + o, dg + o, du + o, rows.count * h, isa: isa)
            }
            rmsNorm(a.residualMid.pointer, layer.ffnNorm, out: normed.pointer, rstd: a.ffnRstd.pointer)  // recomputed, not stored
            projectBackward(layer.gate, l, .gate, input: normed.pointer, inputs: d, dOut: dGate.pointer, outputs: h,
                            dInput: dNormed.pointer, accumulate: false, hidden: a.adapterHidden[.gate])
            projectBackward(layer.up, l, .up, input: normed.pointer, inputs: d, dOut: dUp.pointer, outputs: h,
                            dInput: dNormed.pointer, accumulate: true, hidden: a.adapterHidden[.up])
            normBackwardRows(weight: layer.ffnNorm, x: a.residualMid, rstd: a.ffnRstd)
            // Attention: residualMid = residualIn + o(attention(rope(q), rope(k), v))
            projectBackward(layer.o, l, .o, input: a.attentionOut.pointer, inputs: d, dOut: dResidual.pointer, outputs: d,
                            dInput: dAttentionOut.pointer, accumulate: false, hidden: a.adapterHidden[.o])
            attentionBackward(a)
            rope(dQuery.pointer, heads: config.heads, inverse: true)
            rope(dKey.pointer, heads: config.kvHeads, inverse: true)
            rmsNorm(a.residualIn.pointer, layer.attentionNorm, out: normed.pointer, rstd: a.attentionRstd.pointer)
            projectBackward(layer.q, l, .q, input: normed.pointer, inputs: d, dOut: dQuery.pointer, outputs: d,
                            dInput: dNormed.pointer, accumulate: false, hidden: a.adapterHidden[.q])
            projectBackward(layer.k, l, .k, input: normed.pointer, inputs: d, dOut: dKey.pointer, outputs: kv,
                            dInput: dNormed.pointer, accumulate: true, hidden: a.adapterHidden[.k])
            projectBackward(layer.v, l, .v, input: normed.pointer, inputs: d, dOut: dValue.pointer, outputs: kv,
                            dInput: dNormed.pointer, accumulate: true, hidden: a.adapterHidden[.v])
            normBackwardRows(weight: layer.attentionNorm, x: a.residualIn, rstd: a.attentionRstd)
        }
    }

    /// dInput (+)= dOut·W + LoRA terms; accumulates dA and dBt into `gradients` (and DoRA's dm).
    func projectBackward(_ w: WeightMatrix, _ layer: Int, _ target: LoRATarget, input: UnsafeMutablePointer<Float>,
                         inputs: Int, dOut: UnsafeMutablePointer<Float>, outputs: Int,
                         dInput: UnsafeMutablePointer<Float>, accumulate: Bool, hidden: FloatBuffer?) {
        let n = tokens
        let dOut = doraBackward(layer: layer, target: target, dOut: dOut, outputs: outputs)
        w.multiplyTransposed(dOut, lddy: outputs, m: n, into: dInput, lddx: inputs, accumulate: accumulate, pool: pool,
                             precision: precision)
        guard let hidden, let slot = lora.slot(layer: layer, target: target) else { return }
        let scale = lora.config.scale
        let gA = gradients.pointer + slot.aOffset, gBt = gradients.pointer + slot.btOffset
        // dBt += s·Uᵀ·dOut
        for i in 0..<(n * rank) { scaledHidden[i] = hidden[i] * scale }
        Linear.nn(scaledHidden.pointer, rowStride: 1, colStride: rank, dOut, ldb: outputs, gBt, ldc: outputs,
                  m: rank, n: outputs, k: n, accumulate: true, pool: pool)
        // dU = s·dOut·Bt ᵀ
        Linear.nt(dOut, lda: outputs, lora.bt(slot), ldb: outputs, dAdapterHidden.pointer, ldc: rank, m: n, n: rank,
                  k: outputs, accumulate: false, pool: pool)
        for i in 0..<(n * rank) { dAdapterHidden[i] *= scale }
        // dA += dUᵀ·dropout(input)
        let x = dropout(input, count: n * inputs, layer: layer, target: target, into: droppedInput)
        Linear.nn(dAdapterHidden.pointer, rowStride: 1, colStride: rank, x, ldb: inputs, gA, ldc: inputs,
                  m: rank, n: inputs, k: n, accumulate: true, pool: pool)
        // dInput += mask ⊙ (dU·A)
        if lora.config.dropout > 0 {
            Linear.nn(dAdapterHidden.pointer, rowStride: rank, colStride: 1, lora.a(slot), ldb: inputs, dDroppedInput.pointer,
                      ldc: inputs, m: n, n: inputs, k: rank, accumulate: false, pool: pool)
            let keep = 1 / (1 - lora.config.dropout)
            var rng = maskGenerator(layer: layer, target: target)
            for i in 0..<(n * inputs) where rng.nextFloat() >= lora.config.dropout { dInput[i] += dDroppedInput[i] * keep }
        } else {
            Linear.nn(dAdapterHidden.pointer, rowStride: rank, colStride: 1, lora.a(slot), ldb: inputs, dInput, ldc: inputs,
                      m: n, n: inputs, k: rank, accumulate: true, pool: pool)
        }
    }

    /// dResidual += the RMSNorm backward of dNormed for every row.
    func normBackwardRows(weight: [Float], x: FloatBuffer, rstd: FloatBuffer) {
        let d = config.dim, dxn = dNormed.pointer, dx = dResidual.pointer
        weight.withUnsafeBufferPointer { wb in
            let w = wb.baseAddress!
            pool.parallelFor(tokens) { rows in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: d) { scratch in
                    for r in rows {
                        self.normBackward(dy: dxn + r * d, x: x.pointer + r * d, rstd: rstd[r], weight: w, into: dx + r * d,
                                          scratch: scratch.baseAddress!)
                    }
                }
            }
        }
    }

    /// dx += rstd·w⊙dy − x·rstd³/d·Σ(w⊙dy⊙x); `scratch` holds `dim` floats (w⊙dy, so the sum
    /// runs in the vector dot kernel).
    func normBackward(dy: UnsafePointer<Float>, x: UnsafePointer<Float>, rstd: Float,
                      weight: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let d = config.dim
        for i in 0..<d { scratch[i] = weight[i] * dy[i] }
        let dot = Kernels.dot(scratch, x, d, isa: pool.isa)
        let k = dot * rstd * rstd * rstd / Float(d)
        for i in 0..<d { dx[i] += rstd * scratch[i] - x[i] * k }
    }

    /// dQuery, dKey, dValue from dAttentionOut through the saved probabilities, per (sequence, kv
    /// head) job (the heads of a group share dK and dV, so one job owns them all).
    func attentionBackward(_ a: LayerActivations) {
        let T = seqLen, hd = config.headDim, d = config.dim, kv = config.kvDim, group = config.heads / config.kvHeads
        let scale = 1 / Float(hd).squareRoot(), isa = pool.isa, heads = config.heads, kvHeads = config.kvHeads
        let q = a.query.pointer, k = a.key.pointer, v = a.value.pointer, probs = a.attentionProbs.pointer
        let dO = dAttentionOut.pointer, dq = dQuery.pointer, dk = dKey.pointer, dv = dValue.pointer
        let scratch = dScoresPerWorker
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
                    // Causal blocks (`causalBlock`): P and dS are zero above the diagonal, so key
                    // rows [r0, r1) of dV and dK sum over query rows [r0, T) only, and query rows
                    // [r0, r1) of dP and dQ over keys [0, r1).
                    let blocks = stride(from: 0, to: T, by: Self.causalBlock).map { ($0, min(T, $0 + Self.causalBlock)) }
                    // dV (+)= Pᵀ·dO
                    for (r0, r1) in blocks {
                        Kernels.gemmNN(p + r0 * T + r0, rowStride: 1, colStride: T, dob + r0 * d, ldb: d, dvb + r0 * kv, ldc: kv,
                                       m: r1 - r0, n: hd, k: T - r0, accumulate: h != g * group, isa: isa)
                    }
                    // dP = dO·Vᵀ, then dS = P ⊙ (dP − rowsum(P ⊙ dP)) · scale
                    for (r0, r1) in blocks {
                        Kernels.gemmNT(dob + r0 * d, lda: d, vb, ldb: kv, ds + r0 * T, ldc: T, m: r1 - r0, n: r1, k: hd,
                                       accumulate: false, isa: isa)
                    }
                    Kernels.causalSoftmaxBackward(p, ds, t: T, scale: scale, isa: isa)
                    // dQ = dS·K; dK (+)= dSᵀ·Q
                    for (r0, r1) in blocks {
                        Kernels.gemmNN(ds + r0 * T, rowStride: T, colStride: 1, kb, ldb: kv, dqb + r0 * d, ldc: d,
                                       m: r1 - r0, n: hd, k: r1, accumulate: false, isa: isa)
                        Kernels.gemmNN(ds + r0 * T + r0, rowStride: 1, colStride: T, qb + r0 * d, ldb: d, dkb + r0 * kv, ldc: kv,
                                       m: r1 - r0, n: hd, k: T - r0, accumulate: h != g * group, isa: isa)
                    }
                }
            }
        }
    }
}
