import Foundation
import SwarmBase
import Tensor
import Testing

/// Causal attention's softmax kernels against the naive rows in Double, on every ISA this CPU
/// runs: sizes below, at and above a vector, with the masked triangle zeroed.
@Suite struct CausalSoftmaxTests {
    static var isas: [Int32] { (0...Kernels.detectedISA).map { $0 } }

    @Test("the causal softmax of a score block equals the naive rows, with zeros above the diagonal", arguments: [1, 7, 16, 40, 128])
    func forwardMatchesTheNaiveRows(t: Int) {
        var rng = SeededRandom(seed: UInt64(t))
        let scores = (0..<(t * t)).map { _ in (rng.nextFloat() - 0.5) * 24 }
        let scale: Float = 0.125
        for isa in Self.isas {
            var p = scores
            p.withUnsafeMutableBufferPointer { Kernels.causalSoftmax($0.baseAddress!, t: t, scale: scale, isa: isa) }
            var worst = 0.0
            for i in 0..<t {
                let row = (0...i).map { Double(scores[i * t + $0]) * Double(scale) }
                let mx = row.max()!
                let sum = row.reduce(0) { $0 + exp($1 - mx) }
                for j in 0..<t {
                    let want = j <= i ? exp(row[j] - mx) / sum : 0
                    worst = max(worst, abs(Double(p[i * t + j]) - want))
                }
            }
            #expect(worst < 1e-6, "isa \(Kernels.isaName(isa)) t \(t): max error \(worst)")
        }
    }

    @Test("the causal softmax backward equals scale·P ⊙ (dP − rowsum(P ⊙ dP)) row by row, with zeros above the diagonal",
          arguments: [1, 9, 33, 128])
    func backwardMatchesTheNaiveRows(t: Int) {
        var rng = SeededRandom(seed: UInt64(100 + t))
        var probs = (0..<(t * t)).map { _ in (rng.nextFloat() - 0.5) * 4 }
        probs.withUnsafeMutableBufferPointer { Kernels.causalSoftmax($0.baseAddress!, t: t, scale: 1, isa: 0) }
        let dp = (0..<(t * t)).map { _ in rng.nextFloat() - 0.5 }
        let scale: Float = 0.3
        for isa in Self.isas {
            var d = dp
            probs.withUnsafeBufferPointer { p in
                d.withUnsafeMutableBufferPointer { Kernels.causalSoftmaxBackward(p.baseAddress!, $0.baseAddress!, t: t, scale: scale, isa: isa) }
            }
            var worst = 0.0
            for i in 0..<t {
                let dot = (0...i).reduce(0.0) { $0 + Double(probs[i * t + $1]) * Double(dp[i * t + $1]) }
                for j in 0..<t {
                    let want = j <= i ? Double(probs[i * t + j]) * (Double(dp[i * t + j]) - dot) * Double(scale) : 0
                    worst = max(worst, abs(Double(d[i * t + j]) - want))
                }
            }
            #expect(worst < 1e-6, "isa \(Kernels.isaName(isa)) t \(t): max error \(worst)")
        }
    }

    @Test("decode attention for a query group equals softmax(scale·K·q[h])·V in Double for every head, through strided cache rows",
          arguments: [(1, 64, 1), (7, 64, 3), (8, 64, 4), (33, 64, 3), (200, 64, 5), (9, 72, 2), (5, 13, 3), (6, 128, 1), (40, 48, 9)])
    func attendGroupMatchesTheNaiveHeads(length: Int, hd: Int, group: Int) {
        let stride = 3 * hd + 5  // rows of a wider cache
        var rng = SeededRandom(seed: UInt64(300 + length * 16 + group))
        let q = (0..<(group * hd)).map { _ in rng.nextFloat() - 0.5 }
        let keys = (0..<(length * stride)).map { _ in (rng.nextFloat() - 0.5) * 2 }
        let values = (0..<(length * stride)).map { _ in rng.nextFloat() - 0.5 }
        let scale: Float = 0.125
        for isa in Self.isas {
            var scores = [Float](repeating: .nan, count: group * length)
            var out = [Float](repeating: .nan, count: group * hd)
            Kernels.attendGroup(q, group: group, keys: keys, values: values, stride: stride, length: length, headDim: hd,
                                scale: scale, scores: &scores, into: &out, isa: isa)
            for h in 0..<group {
                let logits = (0..<length).map { t in
                    (0..<hd).reduce(0.0) { $0 + Double(q[h * hd + $1]) * Double(keys[t * stride + $1]) } * Double(scale)
                }
                let mx = logits.max()!
                let weights = logits.map { exp($0 - mx) }
                let sum = weights.reduce(0, +)
                let want = (0..<hd).map { j in (0..<length).reduce(0.0) { $0 + weights[$1] / sum * Double(values[$1 * stride + j]) } }
                let worstOut = (0..<hd).map { abs(Double(out[h * hd + $0]) - want[$0]) }.max()!
                let worstP = (0..<length).map { abs(Double(scores[h * length + $0]) - weights[$0] / sum) }.max()!
                #expect(worstOut < 1e-6 && worstP < 1e-6,
                        "isa \(Kernels.isaName(isa)) length \(length) head \(h) of \(group): output error \(worstOut), probability error \(worstP)")
            }
        }
    }

    @Test("a head's decode attention is the same bit for bit in a group of any size as alone",
          arguments: [(1, 3), (37, 3), (130, 4), (64, 5)])
    func attendGroupGivesEachHeadItsSoloResult(length: Int, group: Int) {
        let hd = 64, stride = hd
        var rng = SeededRandom(seed: UInt64(900 + length))
        let q = (0..<(group * hd)).map { _ in rng.nextFloat() - 0.5 }
        let keys = (0..<(length * stride)).map { _ in (rng.nextFloat() - 0.5) * 2 }
        let values = (0..<(length * stride)).map { _ in rng.nextFloat() - 0.5 }
        for isa in Self.isas {
            var scores = [Float](repeating: 0, count: group * length)
            var together = [Float](repeating: .nan, count: group * hd)
            Kernels.attendGroup(q, group: group, keys: keys, values: values, stride: stride, length: length, headDim: hd,
                                scale: 0.125, scores: &scores, into: &together, isa: isa)
            for h in 0..<group {
                var alone = [Float](repeating: .nan, count: hd)
                q.withUnsafeBufferPointer { qp in
                    Kernels.attendGroup(qp.baseAddress! + h * hd, group: 1, keys: keys, values: values, stride: stride,
                                        length: length, headDim: hd, scale: 0.125, scores: &scores, into: &alone, isa: isa)
                }
                #expect(Array(together[(h * hd)..<((h + 1) * hd)]) == alone, "isa \(Kernels.isaName(isa)) head \(h) of \(group)")
            }
        }
    }
}
