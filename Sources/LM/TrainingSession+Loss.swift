import Tensor

extension TrainingSession {
    /// Cross-entropy over the labelled positions, lossChunk rows at a time: output norm of the
    /// chosen rows only, logits, softmax. With `backward`, writes d(loss)·lossScale with respect
    /// to residualFinal into dResidual (zero on unlabelled rows).
    func lossAndGradient(labels: [Int32], backward: Bool, lossScale: Float) -> LossSum {
        let d = config.dim, vocab = config.vocabSize
        var rows: [(row: Int, target: Int)] = []   // (residual row, its next token)
        for b in 0..<batch {
            for t in 1..<seqLen where labels[b * seqLen + t] != -100 {
                rows.append((b * seqLen + t - 1, Int(labels[b * seqLen + t])))
            }
        }
        if backward { dResidual.zero() }
        var total: Double = 0
        var start = 0
        let weights = model.outputNorm
        while start < rows.count {
            let chunk = Array(rows[start..<min(rows.count, start + lossChunk)])
            start += chunk.count
            // Final norm of the chosen rows only.
            for (i, r) in chunk.enumerated() {
                let rs = finalRstd.pointer + r.row
                rmsNorm(residualFinal.pointer + r.row * d, weights, out: lossRowsNormed.pointer + i * d, rstd: rs, rows: 1)
            }
            model.output.multiply(lossRowsNormed.pointer, ldx: d, m: chunk.count, into: lossLogits.pointer, ldy: vocab,
                                  pool: pool, precision: precision)
            let logits = lossLogits.pointer, isa = pool.isa
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
            model.output.multiplyTransposed(lossLogits.pointer, lddy: vocab, m: chunk.count, into: dLossRowsNormed.pointer,
                                            lddx: d, accumulate: false, pool: pool, precision: precision)
            weights.withUnsafeBufferPointer { w in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: d) { scratch in
                    for (i, r) in chunk.enumerated() {
                        normBackward(dy: dLossRowsNormed.pointer + i * d, x: residualFinal.pointer + r.row * d,
                                     rstd: finalRstd[r.row], weight: w.baseAddress!, into: dResidual.pointer + r.row * d,
                                     scratch: scratch.baseAddress!)
                    }
                }
            }
        }
        return LossSum(sum: total, tokens: rows.count)
    }
}
