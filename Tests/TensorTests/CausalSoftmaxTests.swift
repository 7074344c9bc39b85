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

    @Test("decode attention for one head equals softmax(scale·K·q)·V in Double, through strided cache rows",
          arguments: [(1, 64), (7, 64), (8, 64), (33, 64), (200, 64), (9, 72), (5, 13), (6, 128)])
    func attendOneMatchesTheNaiveHead(length: Int, hd: Int) {
        let stride = 3 * hd + 5  // the head's slice of wider cache rows
        var rng = SeededRandom(seed: UInt64(300 + length))
        let q = (0..<hd).map { _ in rng.nextFloat() - 0.5 }
        let keys = (0..<(length * stride)).map { _ in (rng.nextFloat() - 0.5) * 2 }
        let values = (0..<(length * stride)).map { _ in rng.nextFloat() - 0.5 }
        let scale: Float = 0.125
        let logits = (0..<length).map { t in (0..<hd).reduce(0.0) { $0 + Double(q[$1]) * Double(keys[t * stride + $1]) } * Double(scale) }
        let mx = logits.max()!
        let weights = logits.map { exp($0 - mx) }
        let sum = weights.reduce(0, +)
        let want = (0..<hd).map { j in (0..<length).reduce(0.0) { $0 + weights[$1] / sum * Double(values[$1 * stride + j]) } }
        for isa in Self.isas {
            var scores = [Float](repeating: .nan, count: length)
            var out = [Float](repeating: .nan, count: hd)
            Kernels.attendOne(q, keys: keys, values: values, stride: stride, length: length, headDim: hd, scale: scale,
                              scores: &scores, into: &out, isa: isa)
            let worstOut = zip(out, want).map { abs(Double($0) - $1) }.max()!
            let worstP = (0..<length).map { abs(Double(scores[$0]) - weights[$0] / sum) }.max()!
            #expect(worstOut < 1e-6 && worstP < 1e-6, "isa \(Kernels.isaName(isa)) length \(length): output error \(worstOut), probability error \(worstP)")
        }
    }
}
