import SwarmBase
import Testing
import CKernels
import Quant
@testable import Tensor

/// The naive products the kernels are checked against, summed in Double.
enum NaiveProduct {
    /// C[i, j] = start[i·n + j] + Σ_p a[i·k + p] · b[p·bRow + j·bCol] for i < m, j < n, and
    /// size[i·n + j] = Σ_p |a · b| (what rounding the factors scales with).
    static func product(m: Int, n: Int, k: Int, _ a: [Float], _ b: [Float], bRow: Int, bCol: Int,
                        start: [Float]? = nil) -> (c: [Double], size: [Double]) {
        var c = [Double](repeating: 0, count: m * n), size = c
        for i in 0..<m {
            for j in 0..<n {
                var s = start.map { Double($0[i * n + j]) } ?? 0, t = 0.0
                for p in 0..<k {
                    let term = Double(a[i * k + p]) * Double(b[p * bRow + j * bCol])
                    s += term
                    t += abs(term)
                }
                c[i * n + j] = s
                size[i * n + j] = t
            }
        }
        return (c, size)
    }

    /// The largest |y - e| / max(1, |e|): the relative error the fused kernels' tests bound.
    static func worstRelativeError(_ y: [Float], _ expected: [Double]) -> Double {
        zip(y, expected).map { abs(Double($0) - $1) / max(1, abs($1)) }.max() ?? 0
    }
}

/// `rows` rows of three blocks of `type` from seeded random bytes (finite fp16 scales), and their
/// decode by the Quant module's scalar decoders: the naive reference of the C kernels.
struct RandomBlockMatrix {
    let type: GGMLType
    let rows: Int, cols: Int, rowBytes: Int
    let bytes: [UInt8]
    let dense: [Float]

    /// Byte offsets of each block's fp16 scales: every other byte pattern is a valid block.
    static func fp16Offsets(_ type: GGMLType) -> [Int] {
        switch type {
        case .q5_0: return [0]
        case .q5_1, .q4_K, .q5_K: return [0, 2]
        case .q2_K: return [80, 82]
        case .q3_K: return [108]
        case .q6_K: return [208]
        default: return []
        }
    }

    /// The largest fp16 scale drawn: keeps weights within about ±3 whatever the codes and
    /// sub-block scales (as QuantizedMatmulTests' Q4_1 rows), so its relative tolerance applies.
    static func scaleMagnitude(_ type: GGMLType) -> Float {
        switch type {
        case .q2_K: return 0.03      // 15 * 3 + 15
        case .q3_K: return 0.015     // 32 * 4
        case .q4_K: return 0.002     // 63 * 15 + 63
        case .q5_K: return 0.001     // 63 * 31 + 63
        case .q6_K: return 0.0005    // 128 * 32
        default: return 0.1          // Q5_0: 16, Q5_1: 31 + 1
        }
    }

    /// Random bytes with finite fp16 scales: one in eight a subnormal or zero, the others of
    /// either sign up to `scaleMagnitude`.
    init(_ type: GGMLType, rows: Int, rng: inout SeededRandom) throws {
        self.type = type
        self.rows = rows
        cols = 3 * type.blockSize
        rowBytes = type.byteCount(elements: cols)!
        var bytes: [UInt8] = []
        for _ in 0..<(rows * 3) {
            var block = (0..<type.typeSize).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            for offset in Self.fp16Offsets(type) {
                let bits = rng.next() % 8 == 0
                    ? UInt16(truncatingIfNeeded: rng.next()) & 0x83FF
                    : Float16((rng.nextFloat() * 2 - 1) * Self.scaleMagnitude(type)).bitPattern
                block[offset] = UInt8(bits & 0xFF)
                block[offset + 1] = UInt8(bits >> 8)
            }
            bytes += block
        }
        self.bytes = bytes
        var dense: [Float] = []
        for r in 0..<rows {
            dense += try Dequantize.row(type, Array(bytes[(r * rowBytes)..<((r + 1) * rowBytes)]), elements: cols)
        }
        self.dense = dense
    }

    final class Owner {}

    /// `body` with the bytes as a WeightMatrix and as a raw pointer (kept alive for the call).
    func withMatrix<R>(_ body: (WeightMatrix, UnsafeRawPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes { raw in
            try body(WeightMatrix(type: type, rows: rows, columns: cols, bytes: raw, owner: Owner()), raw.baseAddress!)
        }
    }

    /// Y = X · Wᵀ (m × rows) with the decoded matrix.
    func expectedProduct(_ x: [Float], m: Int) -> (c: [Double], size: [Double]) {
        NaiveProduct.product(m: m, n: rows, k: cols, x, dense, bRow: 1, bCol: cols)
    }

    /// dX = start + dY · W (m × cols) with the decoded matrix.
    func expectedTransposedProduct(_ dy: [Float], m: Int, start: [Float]?) -> (c: [Double], size: [Double]) {
        NaiveProduct.product(m: m, n: cols, k: rows, dy, dense, bRow: cols, bCol: 1, start: start)
    }
}

extension WeightMatrix {
    /// `multiply` on arrays.
    func multiply(_ x: [Float], m: Int, pool: ComputePool, precision: Precision = .fp32) -> [Float] {
        var y = [Float](repeating: .nan, count: m * rows)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer {
                multiply(xp.baseAddress!, ldx: columns, m: m, into: $0.baseAddress!, ldy: rows, pool: pool, precision: precision)
            }
        }
        return y
    }

    /// `multiplyTransposed` on arrays: start + dY · W, or dY · W without a start.
    func multiplyTransposed(_ dy: [Float], m: Int, start: [Float]?, pool: ComputePool,
                            precision: Precision = .fp32) -> [Float] {
        var dx = start ?? [Float](repeating: .nan, count: m * columns)
        dy.withUnsafeBufferPointer { dyp in
            dx.withUnsafeMutableBufferPointer {
                multiplyTransposed(dyp.baseAddress!, lddy: rows, m: m, into: $0.baseAddress!, lddx: columns,
                                   accumulate: start != nil, pool: pool, precision: precision)
            }
        }
        return dx
    }
}

/// The fused C kernels of the formats llama.cpp's K-quant mixes are made of (Q5_0, Q5_1 and the K
/// types) on every instruction-set build this CPU runs, against the Quant module's scalar decoders
/// (tested bit for bit against gguf-py) as the naive reference.
@Suite struct FusedBlockFormatTests {
    static let types: [GGMLType] = [.q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]

    /// Each format's seeded 37-row matrix with a random m × `width(matrix)` operand in [-1, 1),
    /// and the generator for anything more.
    static func eachFormat(m: Int, seed: UInt64, width: (RandomBlockMatrix) -> Int,
                           _ body: (RandomBlockMatrix, [Float], inout SeededRandom) throws -> Void) throws {
        for type in types {
            var rng = SeededRandom(seed: seed + UInt64(type.rawValue))
            let w = try RandomBlockMatrix(type, rows: 37, rng: &rng)
            let operand = (0..<(m * width(w))).map { _ in rng.nextFloat() * 2 - 1 }
            try body(w, operand, &rng)
        }
    }

    @Test("the C decoder of each format equals the Quant module's scalar decoder bit for bit on every ISA",
          arguments: types)
    func cDecodeEqualsTheScalarDecoder(type: GGMLType) throws {
        var rng = SeededRandom(seed: 100 + UInt64(type.rawValue))
        let w = try RandomBlockMatrix(type, rows: 6, rng: &rng)
        w.withMatrix { _, base in
            for isa in QuantizedMatmulTests.isas {
                for range in [0..<w.rows, 2..<5, 5..<6] {
                    var out = [Float](repeating: .nan, count: range.count * w.cols)
                    st_dequant_rows(isa, Int32(type.rawValue), base, w.rowBytes, Int64(w.cols),
                                    Int64(range.lowerBound), Int64(range.upperBound), &out)
                    let expected = w.dense[(range.lowerBound * w.cols)..<(range.upperBound * w.cols)]
                    #expect(out.map(\.bitPattern) == expected.map(\.bitPattern),
                            "\(type) isa \(Kernels.isaName(isa)) rows \(range)")
                }
            }
        }
    }

    @Test("a weight matrix of each format is read by the fused kernels", arguments: types)
    func weightMatrixIsFused(type: GGMLType) throws {
        var rng = SeededRandom(seed: 1)
        try RandomBlockMatrix(type, rows: 1, rng: &rng).withMatrix { matrix, _ in
            #expect(matrix.isFused)
            #expect(st_row_bytes(Int32(type.rawValue), Int64(matrix.columns)) == matrix.rowBytes)
        }
    }

    /// m = 1 and 2 are decode's shapes, 3 the smallest batch, 300 two chunks of the packed X
    /// (256 rows, then a partial tile). Tolerance as QuantizedMatmulTests' for Q4_1.
    @Test("multiply equals the product with the decoded matrix on every ISA", arguments: [1, 2, 3, 64, 300])
    func multiplyEqualsTheDecodedProduct(m: Int) throws {
        let pool = ComputePool(threads: 2)
        try Self.eachFormat(m: m, seed: UInt64(m * 100), width: \.cols) { w, x, _ in
            let expected = w.expectedProduct(x, m: m).c
            w.withMatrix { matrix, base in
                for isa in QuantizedMatmulTests.isas {
                    var y = [Float](repeating: .nan, count: m * w.rows)
                    st_qgemm_mt(pool.raw, isa, Int32(w.type.rawValue), base, w.rowBytes, Int64(w.rows), Int64(w.cols),
                                x, Int64(w.cols), Int64(m), &y, Int64(w.rows))
                    let worst = NaiveProduct.worstRelativeError(y, expected)
                    #expect(worst < 1e-4, "\(w.type) isa \(Kernels.isaName(isa)) m \(m): relative error \(worst)")
                }
                let worst = NaiveProduct.worstRelativeError(matrix.multiply(x, m: m, pool: pool), expected)
                #expect(worst < 1e-4, "\(w.type) WeightMatrix.multiply m \(m): relative error \(worst)")
            }
        }
    }

    /// dX = dY · W split over 3 workers on block boundaries: with 3 blocks per row each worker
    /// decodes whole blocks (256 columns for the K types).
    @Test("multiplyTransposed equals the product with the decoded matrix on every ISA, accumulating or not",
          arguments: [1, 5, 64])
    func multiplyTransposedEqualsTheDecodedProduct(m: Int) throws {
        let pool = ComputePool(threads: 3)
        try Self.eachFormat(m: m, seed: UInt64(m * 1000), width: \.rows) { w, dy, rng in
            let initial = (0..<(m * w.cols)).map { _ in rng.nextFloat() * 2 - 1 }
            for start in [nil, initial] {
                let expected = w.expectedTransposedProduct(dy, m: m, start: start).c
                let label = "\(w.type) m \(m) accumulate \(start != nil)"
                w.withMatrix { matrix, base in
                    for isa in QuantizedMatmulTests.isas {
                        var dx = start ?? [Float](repeating: .nan, count: m * w.cols)
                        st_qgemm_nn_mt(pool.raw, isa, Int32(w.type.rawValue), base, w.rowBytes, Int64(w.rows), Int64(w.cols),
                                       dy, Int64(w.rows), Int64(m), &dx, Int64(w.cols), start != nil ? 1 : 0)
                        let worst = NaiveProduct.worstRelativeError(dx, expected)
                        #expect(worst < 1e-4, "\(label) isa \(Kernels.isaName(isa)): relative error \(worst)")
                    }
                    let dx = matrix.multiplyTransposed(dy, m: m, start: start, pool: pool)
                    let worst = NaiveProduct.worstRelativeError(dx, expected)
                    #expect(worst < 1e-4, "\(label) WeightMatrix.multiplyTransposed: relative error \(worst)")
                }
            }
        }
    }
}

/// `Precision.bf16` on the new formats: the 32-weight ones (Q5_0, Q5_1) and the K types (whose
/// backward product splits its columns between workers on whole 256-weight blocks) run the bf16
/// kernels.
@Suite(.enabled(if: Precision.bf16Available, "this CPU has no AVX512_BF16"))
struct FusedBlockFormatBF16Tests {
    /// A 64 × 64 batch through a 64-row matrix of `type`: the forward and backward products in
    /// bf16 and in fp32.
    struct Run {
        let w: RandomBlockMatrix
        let x: [Float], dy: [Float]
        let y: [Precision: [Float]], dx: [Precision: [Float]]

        init(_ type: GGMLType) throws {
            var rng = SeededRandom(seed: 7 + UInt64(type.rawValue))
            let w = try RandomBlockMatrix(type, rows: 64, rng: &rng), m = 64
            let x = (0..<(m * w.cols)).map { _ in rng.nextFloat() * 2 - 1 }
            let dy = (0..<(m * w.rows)).map { _ in rng.nextFloat() * 2 - 1 }
            let pool = ComputePool(threads: 2)
            var y: [Precision: [Float]] = [:], dx: [Precision: [Float]] = [:]
            w.withMatrix { matrix, _ in
                for p in Precision.allCases {
                    y[p] = matrix.multiply(x, m: m, pool: pool, precision: p)
                    dx[p] = matrix.multiplyTransposed(dy, m: m, start: nil, pool: pool, precision: p)
                }
            }
            (self.w, self.x, self.dy, self.y, self.dx) = (w, x, dy, y, dx)
        }
    }

    @Test("Q5_0, Q5_1 and the K types in bf16 agree with the decoded product to bf16 rounding",
          arguments: [GGMLType.q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K])
    func fiveBitFormatsRunInBF16(type: GGMLType) throws {
        let run = try Run(type)
        // Each product has two bf16 roundings (2^-9 each): within 1e-2 of the sum of |terms|.
        let forward = run.w.expectedProduct(run.x, m: 64)
        let backward = run.w.expectedTransposedProduct(run.dy, m: 64, start: nil)
        for (got, expected) in [(run.y[.bf16]!, forward), (run.dx[.bf16]!, backward)] {
            var worst = -Double.infinity
            for i in got.indices { worst = max(worst, abs(Double(got[i]) - expected.c[i]) - 1e-2 * expected.size[i]) }
            #expect(worst <= 1e-6, "\(type): error beyond the bf16 bound by \(worst)")
        }
        #expect(run.y[.bf16] != run.y[.fp32] && run.dx[.bf16] != run.dx[.fp32], "\(type): the bf16 kernels should run")
    }
}
