import SwarmBase
import Tensor
import Testing

/// The NN GEMM (C (+)= A·B, A strided either way) that attention and the LoRA products run: every
/// element of C is one fused multiply-add chain in k order from its value in C, so on the FMA
/// builds it equals that chain computed here in Swift bit for bit, for every row remainder of the
/// six-row tile and every column tail.
@Suite struct GemmNNTests {
    static var isas: [Int32] { (0...Kernels.detectedISA).map { $0 } }

    /// C (+)= A·B one element at a time: s = C (or 0), then s = s + a·b fused, k in order.
    static func chain(_ a: [Float], rowStride: Int, colStride: Int, _ b: [Float], ldb: Int, _ c: [Float], ldc: Int,
                      m: Int, n: Int, k: Int, accumulate: Bool) -> [Float] {
        var out = c
        for i in 0..<m {
            for j in 0..<n {
                var s: Float = accumulate ? c[i * ldc + j] : 0
                for kk in 0..<k { s = s.addingProduct(a[i * rowStride + kk * colStride], b[kk * ldb + j]) }
                out[i * ldc + j] = s
            }
        }
        return out
    }

    @Test("C (+)= A·B equals the k-ordered fused chain of every element on the FMA builds (and within 1e-5 on the generic one)",
          arguments: [(8, 576, 64), (7, 40, 33), (13, 96, 5), (6, 32, 512), (1, 17, 9), (11, 64, 128), (512, 48, 8)])
    func productEqualsTheFusedChain(m: Int, n: Int, k: Int) {
        var rng = SeededRandom(seed: UInt64(m * 10_000 + n * 10 + k))
        let ldb = n + 3, ldc = n + 5
        let b = (0..<(k * ldb)).map { _ in rng.nextFloat() - 0.5 }
        let c = (0..<(m * ldc)).map { _ in rng.nextFloat() - 0.5 }
        let a = (0..<(m * k)).map { _ in rng.nextFloat() - 0.5 }
        // A as stored [m][k] (row stride k) and as the transpose of a stored [k][m] (column stride m).
        let aT = (0..<(k * m)).map { idx in a[(idx % m) * k + idx / m] }
        for (operand, rowStride, colStride) in [(a, k, 1), (aT, 1, m)] {
            for accumulate in [false, true] {
                let want = Self.chain(operand, rowStride: rowStride, colStride: colStride, b, ldb: ldb, c, ldc: ldc,
                                      m: m, n: n, k: k, accumulate: accumulate)
                for isa in Self.isas {
                    var got = c
                    Kernels.gemmNN(operand, rowStride: rowStride, colStride: colStride, b, ldb: ldb, &got, ldc: ldc,
                                   m: m, n: n, k: k, accumulate: accumulate, isa: isa)
                    let worst = zip(got, want).map { abs($0 - $1) }.max() ?? 0
                    let padding = (0..<m).allSatisfy { i in (n..<ldc).allSatisfy { got[i * ldc + $0] == c[i * ldc + $0] } }
                    #expect(padding, "isa \(Kernels.isaName(isa)): wrote past n")
                    if isa == 0 {
                        #expect(worst < 1e-5, "generic: max error \(worst)")
                    } else {
                        #expect(got == want, "isa \(Kernels.isaName(isa)) m \(m) n \(n) k \(k) strides \(rowStride),\(colStride) accumulate \(accumulate): max error \(worst)")
                    }
                }
            }
        }
    }
}
