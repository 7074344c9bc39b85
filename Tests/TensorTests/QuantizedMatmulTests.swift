import Foundation
import SwarmBase
import Testing
import CKernels
import Quant
@testable import Tensor

/// The fused kernels of every instruction-set build against a plain scalar reference written
/// here from the ggml block layouts.
@Suite struct QuantizedMatmulTests {
    static let types: [GGMLType] = [.f32, .f16, .bf16, .q4_0, .q4_1, .q8_0]

    /// The ISA builds this CPU can run.
    static var isas: [Int32] { (0...Kernels.detectedISA).map { $0 } }

    static func f16Bytes(_ f: Float) -> [UInt8] {
        let h = Float16(f).bitPattern
        return [UInt8(h & 0xFF), UInt8(h >> 8)]
    }

    static func f16(_ b: ArraySlice<UInt8>) -> Float {
        Float(Float16(bitPattern: UInt16(b[b.startIndex]) | UInt16(b[b.startIndex + 1]) << 8))
    }

    /// Random row bytes of `type` with well-behaved scales.
    static func randomRow(_ type: GGMLType, cols: Int, rng: inout SeededRandom) -> [UInt8] {
        func rnd() -> Float { rng.nextFloat() * 2 - 1 }
        var out: [UInt8] = []
        switch type {
        case .f32:
            for _ in 0..<cols { withUnsafeBytes(of: rnd().bitPattern.littleEndian) { out += $0 } }
        case .f16:
            for _ in 0..<cols { out += f16Bytes(rnd()) }
        case .bf16:
            for _ in 0..<cols { let b = rnd().bitPattern >> 16; out += [UInt8(b & 0xFF), UInt8(b >> 8)] }
        case .q4_0, .q8_0:
            for _ in 0..<(cols / 32) {
                out += f16Bytes(rnd() * 0.1)
                for _ in 0..<(type == .q4_0 ? 16 : 32) { out.append(UInt8(truncatingIfNeeded: rng.next())) }
            }
        case .q4_1:
            for _ in 0..<(cols / 32) {
                out += f16Bytes(rnd() * 0.1)
                out += f16Bytes(rnd() * 0.5)
                for _ in 0..<16 { out.append(UInt8(truncatingIfNeeded: rng.next())) }
            }
        default:
            break
        }
        return out
    }

    /// Scalar reference decode, straight from the block layouts.
    static func referenceRow(_ type: GGMLType, _ b: [UInt8], cols: Int) -> [Float] {
        var out = [Float](repeating: 0, count: cols)
        switch type {
        case .f32:
            for i in 0..<cols {
                out[i] = Float(bitPattern: UInt32(b[4*i]) | UInt32(b[4*i+1]) << 8 | UInt32(b[4*i+2]) << 16 | UInt32(b[4*i+3]) << 24)
            }
        case .f16:
            for i in 0..<cols { out[i] = f16(b[(2*i)...]) }
        case .bf16:
            for i in 0..<cols { out[i] = Float(bitPattern: (UInt32(b[2*i]) | UInt32(b[2*i+1]) << 8) << 16) }
        case .q4_0, .q4_1:
            let bs = type == .q4_0 ? 18 : 20
            for blk in 0..<(cols / 32) {
                let base = blk * bs
                let d = f16(b[base...])
                let m: Float = type == .q4_1 ? f16(b[(base + 2)...]) : 0
                let qs = base + (type == .q4_0 ? 2 : 4)
                for j in 0..<16 {
                    let lo = Float(b[qs + j] & 0x0F), hi = Float(b[qs + j] >> 4)
                    out[blk * 32 + j] = type == .q4_0 ? d * (lo - 8) : d * lo + m
                    out[blk * 32 + j + 16] = type == .q4_0 ? d * (hi - 8) : d * hi + m
                }
            }
        case .q8_0:
            for blk in 0..<(cols / 32) {
                let base = blk * 34
                let d = f16(b[base...])
                for j in 0..<32 { out[blk * 32 + j] = d * Float(Int8(bitPattern: b[base + 2 + j])) }
            }
        default:
            break
        }
        return out
    }

    /// m = 300: two chunks of the batched kernel's packed X (256 rows, then 44: a partial tile).
    @Test(arguments: [1, 2, 3, 7, 33, 300])
    func everyISAMatchesTheScalarReference(m: Int) throws {
        var rng = SeededRandom(seed: UInt64(m))
        let rows = 37, cols = 96
        let pool = ComputePool(threads: 2)
        for type in Self.types {
            var bytes: [UInt8] = []
            var dense: [Float] = []
            for _ in 0..<rows {
                let row = Self.randomRow(type, cols: cols, rng: &rng)
                bytes += row
                dense += Self.referenceRow(type, row, cols: cols)
            }
            let x = (0..<(m * cols)).map { _ in rng.nextFloat() * 2 - 1 }
            let expected = NaiveProduct.product(m: m, n: rows, k: cols, x, dense, bRow: 1, bCol: cols).c
            for isa in Self.isas {
                var y = [Float](repeating: .nan, count: m * rows)
                bytes.withUnsafeBytes { w in
                    x.withUnsafeBufferPointer { xp in
                        y.withUnsafeMutableBufferPointer { yp in
                            st_qgemm_mt(pool.raw, isa, Int32(type.rawValue), w.baseAddress, type.byteCount(elements: cols)!,
                                        Int64(rows), Int64(cols), xp.baseAddress, Int64(cols), Int64(m), yp.baseAddress, Int64(rows))
                        }
                    }
                }
                let worst = NaiveProduct.worstRelativeError(y, expected)
                #expect(worst < 1e-4, "type \(type) isa \(Kernels.isaName(isa)) m \(m): relative error \(worst)")
            }
        }
    }

    @Test func decodeWithScaleTablesMatchesTheReference() throws {
        var rng = SeededRandom(seed: 77)
        let rows = 23, cols = 128
        final class Owner {}
        let owner = Owner()
        for type in [GGMLType.q4_1, .q8_0] {
            var bytes: [UInt8] = [], dense: [Float] = []
            for _ in 0..<rows {
                let row = Self.randomRow(type, cols: cols, rng: &rng)
                bytes += row
                dense += Self.referenceRow(type, row, cols: cols)
            }
            let x = (0..<cols).map { _ in rng.nextFloat() * 2 - 1 }
            for threads in [1, 2] {
                var y = [Float](repeating: .nan, count: rows)
                try bytes.withUnsafeBytes { raw in
                    var w = WeightMatrix(type: type, rows: rows, columns: cols, bytes: raw, owner: owner)
                    w.buildScaleTables()
                    #expect(w.scaleTables != nil)
                    let pool = ComputePool(threads: threads)
                    x.withUnsafeBufferPointer { xp in
                        y.withUnsafeMutableBufferPointer { w.multiply(xp.baseAddress!, ldx: cols, m: 1, into: $0.baseAddress!, ldy: rows, pool: pool) }
                    }
                    _ = try #require(Optional(raw))
                }
                for r in 0..<rows {
                    var s: Double = 0
                    for k in 0..<cols { s += Double(x[k]) * Double(dense[r * cols + k]) }
                    #expect(abs(Double(y[r]) - s) < 1e-4 * max(1, abs(s)), "\(type) row \(r) threads \(threads)")
                }
            }
        }
    }

    @Test("matrices sharing x in one pool run give each product bit for bit as its own multiply; a matrix without scale tables falls back",
          arguments: [1, 2, 3])
    func sharedInputProductsEqualSeparateMultiplies(threads: Int) {
        var rng = SeededRandom(seed: 78)
        let cols = 96
        final class Owner {}
        let owner = Owner()
        // Shapes of q, k, v (and an odd row count, a Q8_0 matrix, and a Q4_0 one without tables).
        let shapes: [(GGMLType, Int)] = [(.q4_1, 37), (.q8_0, 12), (.q4_1, 5), (.q4_0, 9)]
        let rowBytes = shapes.map { Self.randomRow($0.0, cols: cols, rng: &rng).count }
        let matrixBytes = shapes.indices.map { i in (0..<shapes[i].1).flatMap { _ in Self.randomRow(shapes[i].0, cols: cols, rng: &rng) } }
        #expect(zip(matrixBytes, shapes.indices).allSatisfy { $0.count == rowBytes[$1] * shapes[$1].1 })
        let x = (0..<cols).map { _ in rng.nextFloat() * 2 - 1 }
        let pool = ComputePool(threads: threads)
        // Storage the matrices point into, alive for the whole test.
        let storage = matrixBytes.map { bytes in
            let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 64)
            raw.copyBytes(from: bytes)
            return raw
        }
        defer { storage.forEach { $0.deallocate() } }
        let matrices = shapes.indices.map { i in
            var w = WeightMatrix(type: shapes[i].0, rows: shapes[i].1, columns: cols, bytes: UnsafeRawBufferPointer(storage[i]),
                                 owner: owner)
            w.buildScaleTables()
            return w
        }
        #expect(matrices.map { $0.scaleTables != nil } == [true, true, true, false])
        for count in [1, 3, 4] {
            var separate = (0..<count).map { [Float](repeating: .nan, count: matrices[$0].rows) }
            var together = separate
            x.withUnsafeBufferPointer { xp in
                for i in 0..<count {
                    separate[i].withUnsafeMutableBufferPointer {
                        matrices[i].multiply(xp.baseAddress!, ldx: cols, m: 1, into: $0.baseAddress!, ldy: matrices[i].rows, pool: pool)
                    }
                }
                let outputs = (0..<count).map { UnsafeMutablePointer<Float>.allocate(capacity: matrices[$0].rows) }
                defer { outputs.forEach { $0.deallocate() } }
                outputs.enumerated().forEach { $1.initialize(repeating: .nan, count: matrices[$0].rows) }
                WeightMatrix.multiply(xp.baseAddress!, by: (0..<count).map { (matrices[$0], outputs[$0]) }, pool: pool)
                for i in 0..<count { together[i] = Array(UnsafeBufferPointer(start: outputs[i], count: matrices[i].rows)) }
            }
            for i in 0..<count {
                #expect(together[i] == separate[i], "\(count) matrices, matrix \(i) (\(shapes[i].0)), \(threads) threads")
                #expect(!together[i].contains { $0.isNaN })
            }
        }
    }

    @Test func gemmNTAccumulatesAndHandlesEdges() {
        var rng = SeededRandom(seed: 9)
        let m = 5, n = 7, k = 37
        let a = (0..<(m * k)).map { _ in rng.nextFloat() - 0.5 }
        let b = (0..<(n * k)).map { _ in rng.nextFloat() - 0.5 }
        for isa in Self.isas {
            var c = [Float](repeating: 1, count: m * n)
            Kernels.gemmNT(a, lda: k, b, ldb: k, &c, ldc: n, m: m, n: n, k: k, accumulate: true, isa: isa)
            for i in 0..<m {
                for j in 0..<n {
                    var s: Float = 1
                    for kk in 0..<k { s += a[i * k + kk] * b[j * k + kk] }
                    #expect(abs(c[i * n + j] - s) < 1e-4, "isa \(Kernels.isaName(isa)) (\(i),\(j))")
                }
            }
        }
    }

    /// Attention's shapes (k = a head dimension, many columns) take the packed path: B's columns
    /// transposed panel by panel, then the NN micro-kernel. It must equal the naive product on
    /// every ISA, with and without accumulation, across panel edges and ragged column counts.
    @Test("an NT product with a short inner dimension (the packed path) equals the naive product on every ISA",
          arguments: [(13, 150, 64, false), (6, 64, 128, true), (7, 300, 20, true), (128, 128, 64, false), (12, 257, 33, false)])
    func gemmNTShortInnerDimension(m: Int, n: Int, k: Int, accumulate: Bool) {
        var rng = SeededRandom(seed: UInt64(m * 1000 + n + k))
        let lda = k + 3, ldb = k + 5, ldc = n + 2
        let a = (0..<(m * lda)).map { _ in rng.nextFloat() - 0.5 }
        let b = (0..<(n * ldb)).map { _ in rng.nextFloat() - 0.5 }
        let start = (0..<(m * ldc)).map { _ in rng.nextFloat() - 0.5 }
        for isa in Self.isas {
            var c = start
            Kernels.gemmNT(a, lda: lda, b, ldb: ldb, &c, ldc: ldc, m: m, n: n, k: k, accumulate: accumulate, isa: isa)
            var worst = 0.0
            for i in 0..<m {
                for j in 0..<ldc {
                    var s = j < n && accumulate ? Double(start[i * ldc + j]) : 0
                    if j < n { for kk in 0..<k { s += Double(a[i * lda + kk]) * Double(b[j * ldb + kk]) } } else { s = Double(start[i * ldc + j]) }
                    worst = max(worst, abs(Double(c[i * ldc + j]) - s))
                }
            }
            // Sums of up to 128 products of values below 0.5 in fp32: a few ulp of 32.
            #expect(worst < 2e-5, "isa \(Kernels.isaName(isa)) m \(m) n \(n) k \(k): max error \(worst)")
        }
    }

    @Test func poolRunsEveryWorkerOnce() {
        let pool = ComputePool(threads: 3)
        var hits = [Int](repeating: 0, count: 3)
        hits.withUnsafeMutableBufferPointer { h in
            let p = h.baseAddress!
            for _ in 0..<1000 { pool.run { ith, nth in if nth == 3 { p[ith] += 1 } } }
        }
        #expect(hits == [1000, 1000, 1000])
    }

    @Test func seededRandomIsReproducible() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42), c = SeededRandom(seed: 43)
        let xs = (0..<8).map { _ in a.next() }
        #expect(xs == (0..<8).map { _ in b.next() })
        #expect(xs != (0..<8).map { _ in c.next() })
    }
}

@Suite struct ElementwiseKernelTests {
    @Test func swigluAndItsBackwardMatchDoublePrecisionOnEveryISA() {
        var rng = SeededRandom(seed: 12)
        let n = 203
        let g = (0..<n).map { _ in (rng.nextFloat() - 0.5) * 40 }, u = (0..<n).map { _ in rng.nextFloat() - 0.5 }
        let d = (0..<n).map { _ in rng.nextFloat() - 0.5 }
        for isa in QuantizedMatmulTests.isas {
            var out = [Float](repeating: 0, count: n), dg = out, du = out
            Kernels.swiglu(g, u, &out, n, isa: isa)
            Kernels.swigluBackward(g, u, d, &dg, &du, n, isa: isa)
            for i in 0..<n {
                let x = Double(g[i]), s = 1 / (1 + Foundation.exp(-x))
                #expect(abs(Double(out[i]) - x * s * Double(u[i])) <= 1e-6 * max(1, abs(x * s * Double(u[i]))), "isa \(isa) i \(i)")
                #expect(abs(Double(du[i]) - Double(d[i]) * x * s) <= 1e-6 * max(1, abs(x)))
                let ref = Double(d[i]) * Double(u[i]) * s * (1 + x * (1 - s))
                #expect(abs(Double(dg[i]) - ref) <= 1e-6 * max(1, abs(ref)))
            }
        }
    }

    @Test func softmaxCrossEntropyMatchesDoublePrecisionOnEveryISA() {
        var rng = SeededRandom(seed: 13)
        let n = 1001
        let logits = (0..<n).map { _ in (rng.nextFloat() - 0.5) * 30 }
        let mx = Double(logits.max()!)
        let sum = logits.reduce(0.0) { $0 + Foundation.exp(Double($1) - mx) }
        let target = 417
        let expected = mx + Foundation.log(sum) - Double(logits[target])
        for isa in QuantizedMatmulTests.isas {
            var row = logits
            let loss = Kernels.softmaxCrossEntropy(&row, count: n, target: target, gradientScale: 0.5, isa: isa)
            #expect(abs(loss - expected) < 1e-5 * max(1, expected), "isa \(isa)")
            for j in [0, 5, target, n - 1] {
                let p = Foundation.exp(Double(logits[j]) - mx) / sum
                let g = 0.5 * (p - (j == target ? 1 : 0))
                #expect(abs(Double(row[j]) - g) < 1e-6, "isa \(isa) j \(j)")
            }
        }
    }
}

@Suite struct NF4KernelTests {
    @Test func cDecodeEqualsTheQuantModuleOnAnyRowRange() throws {
        var rng = SeededRandom(seed: 21)
        let rows = 300, cols = 128  // 600 blocks: spans three absmax groups
        let values = (0..<(rows * cols)).map { _ in (rng.nextFloat() - 0.5) * 0.2 }
        let bytes = try values.withUnsafeBufferPointer { try NF4.quantize($0) }
        let reference = try NF4.dequantize(bytes, elementCount: values.count)
        final class Owner {}
        let owner = Owner()
        try bytes.withUnsafeBytes { raw in
            let w = WeightMatrix(type: .nf4, rows: rows, columns: cols, bytes: raw, owner: owner)
            for range in [0..<1, 7..<9, 255..<258, 0..<rows] {
                var out = [Float](repeating: .nan, count: range.count * cols)
                out.withUnsafeMutableBufferPointer { w.dequantizeRows(range, into: $0.baseAddress!, isa: Kernels.detectedISA) }
                #expect(out == Array(reference[(range.lowerBound * cols)..<(range.upperBound * cols)]), "rows \(range)")
            }
            _ = try #require(Optional(raw))
        }
    }

    /// An NF4 matrix of `rows` x `cols` from seeded values, its Quant-module decode, and x.
    static func randomMatrix(rows: Int, cols: Int, seed: UInt64) throws -> (bytes: [UInt8], dense: [Float], x: [Float]) {
        var rng = SeededRandom(seed: seed)
        // Block magnitudes vary by 30x so the absmax table matters, and groups span rows.
        let values = (0..<(rows * cols)).map { i in (rng.nextFloat() - 0.5) * (0.01 + 0.3 * Float((i / 64) % 7) / 6) }
        let bytes = try values.withUnsafeBufferPointer { try NF4.quantize($0) }
        let x = (0..<cols).map { _ in rng.nextFloat() * 2 - 1 }
        return (bytes, try NF4.dequantize(bytes, elementCount: values.count), x)
    }

    /// The matrix re-laid in 32-weight blocks (`st_nf4_to_blocks`), as the kernels read it.
    static func blocks(_ bytes: [UInt8], rows: Int, cols: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: rows * cols / 32 * 20)
        bytes.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBytes { st_nf4_to_blocks(src.baseAddress!, Int64(rows * cols), Int64(cols), $0.baseAddress!) }
        }
        return out
    }

    /// 96 and 576 columns are not whole 64-weight NF4 blocks per row: their rows begin in the
    /// middle of a block, which the re-layout must split.
    @Test("re-laid NF4 decodes bit for bit as the Quant module on every ISA",
          arguments: [(1, 64), (2, 96), (7, 576), (300, 128)])
    func relaidBlocksDecodeExactly(rows: Int, cols: Int) throws {
        let (bytes, dense, _) = try Self.randomMatrix(rows: rows, cols: cols, seed: UInt64(rows + cols))
        let relaid = Self.blocks(bytes, rows: rows, cols: cols)
        for isa in QuantizedMatmulTests.isas {
            for range in [0..<rows, (rows / 2)..<rows] {
                var out = [Float](repeating: .nan, count: range.count * cols)
                st_dequant_rows(isa, ST_TYPE_NF4_BLOCKS, relaid, cols / 32 * 20, Int64(cols), Int64(range.lowerBound),
                                Int64(range.upperBound), &out)
                #expect(out.map(\.bitPattern) == dense[(range.lowerBound * cols)..<(range.upperBound * cols)].map(\.bitPattern),
                        "\(Kernels.isaName(isa)) rows \(range) of \(rows)x\(cols)")
            }
        }
    }

    @Test("the decode kernel of re-laid NF4 equals the decoded rows' dot products on every ISA",
          arguments: [(1, 64), (2, 128), (4, 96), (5, 576), (9, 1536), (300, 128)])
    func decodeMatchesTheDecodedRows(rows: Int, cols: Int) throws {
        let (bytes, dense, x) = try Self.randomMatrix(rows: rows, cols: cols, seed: UInt64(rows * 7 + cols))
        let relaid = Self.blocks(bytes, rows: rows, cols: cols)
        let expected = NaiveProduct.product(m: rows, n: 1, k: cols, dense, x, bRow: 1, bCol: 0)
        var scratch = [Float](repeating: 0, count: st_qgemm_scratch_floats(Int64(cols)))
        for isa in QuantizedMatmulTests.isas {
            for (r0, r1) in [(0, rows), (rows / 2, rows)] {
                var y = [Float](repeating: .nan, count: rows)
                st_qgemm(isa, ST_TYPE_NF4_BLOCKS, relaid, cols / 32 * 20, Int64(cols), x, Int64(cols), 1, &y, Int64(rows),
                         Int64(r0), Int64(r1), &scratch)
                for r in 0..<rows {
                    if r < r0 { #expect(y[r].isNaN, "row \(r) outside \(r0)..<\(r1) was written"); continue }
                    // fp32 sums of at most 1536 terms: within 1e-6 of the terms' magnitudes.
                    #expect(abs(Double(y[r]) - expected.c[r]) <= 1e-6 * expected.size[r],
                            "\(Kernels.isaName(isa)) row \(r) of \(rows)x\(cols): \(y[r]) against \(expected.c[r])")
                }
            }
        }
    }

    /// Loads a `WeightMatrix` the way `LlamaModel` does and runs body on it.
    static func withLoadedMatrix(rows: Int, cols: Int, seed: UInt64,
                                 _ body: (WeightMatrix, _ dense: [Float], _ x: [Float]) throws -> Void) throws {
        let (bytes, dense, x) = try randomMatrix(rows: rows, cols: cols, seed: seed)
        final class Owner {}
        let owner = Owner()
        try bytes.withUnsafeBytes { raw in
            var w = WeightMatrix(type: .nf4, rows: rows, columns: cols, bytes: raw, owner: owner)
            w.buildKernelLayout()
            try body(w, dense, x)
            _ = try #require(Optional(raw))
        }
    }

    @Test func aLoadedMatrixIsReadByTheKernelsInEveryProduct() throws {
        let rows = 37, cols = 576, m = 5
        try Self.withLoadedMatrix(rows: rows, cols: cols, seed: 5) { w, dense, x in
            #expect(w.isFused)
            var rng = SeededRandom(seed: 8)
            let xs = (0..<(m * cols)).map { _ in rng.nextFloat() * 2 - 1 }
            let dy = (0..<(m * rows)).map { _ in rng.nextFloat() * 2 - 1 }
            let forward = NaiveProduct.product(m: m, n: rows, k: cols, xs, dense, bRow: 1, bCol: cols)
            let backward = NaiveProduct.product(m: m, n: cols, k: rows, dy, dense, bRow: cols, bCol: 1)
            let decode = NaiveProduct.product(m: rows, n: 1, k: cols, dense, x, bRow: 1, bCol: 0)
            for threads in [1, 2, 3] {
                let pool = ComputePool(threads: threads)
                var y1 = [Float](repeating: .nan, count: rows)
                w.multiply(x, ldx: cols, m: 1, into: &y1, ldy: rows, pool: pool)
                for r in 0..<rows { #expect(abs(Double(y1[r]) - decode.c[r]) <= 1e-6 * decode.size[r], "decode row \(r), \(threads) threads") }
                var y = [Float](repeating: .nan, count: m * rows), dx = [Float](repeating: .nan, count: m * cols)
                w.multiply(xs, ldx: cols, m: m, into: &y, ldy: rows, pool: pool)
                w.multiplyTransposed(dy, lddy: rows, m: m, into: &dx, lddx: cols, accumulate: false, pool: pool)
                for (got, want, what) in [(y, forward, "forward"), (dx, backward, "backward")] {
                    for i in got.indices { #expect(abs(Double(got[i]) - want.c[i]) <= 1e-6 * want.size[i], "\(what) [\(i)], \(threads) threads") }
                }
            }
        }
    }

    @Test(.enabled(if: Precision.bf16Available, "this CPU has no AVX512_BF16"))
    func aLoadedMatrixRunsTheBF16Kernels() throws {
        let rows = 64, cols = 576, m = 12
        try Self.withLoadedMatrix(rows: rows, cols: cols, seed: 9) { w, dense, _ in
            var rng = SeededRandom(seed: 10)
            let xs = (0..<(m * cols)).map { _ in rng.nextFloat() * 2 - 1 }
            let forward = NaiveProduct.product(m: m, n: rows, k: cols, xs, dense, bRow: 1, bCol: cols)
            let pool = ComputePool(threads: 2)
            var y16 = [Float](repeating: .nan, count: m * rows), y32 = y16
            w.multiply(xs, ldx: cols, m: m, into: &y16, ldy: rows, pool: pool, precision: .bf16)
            w.multiply(xs, ldx: cols, m: m, into: &y32, ldy: rows, pool: pool, precision: .fp32)
            // Two bf16 roundings per product (2^-9 each): within 1e-2 of the sum of |terms|.
            for i in y16.indices { #expect(abs(Double(y16[i]) - forward.c[i]) <= 1e-2 * forward.size[i], "[\(i)]") }
            #expect(y16 != y32, "the bf16 kernels should run")
        }
    }

    @Test func matricesWhoseRowsSplitThe32WeightBlocksKeepThePanelPath() throws {
        // 48 columns: no row is whole 32-weight blocks, so nothing is re-laid.
        try Self.withLoadedMatrix(rows: 4, cols: 48, seed: 6) { w, dense, x in
            #expect(!w.isFused)
            let decode = NaiveProduct.product(m: 4, n: 1, k: 48, dense, x, bRow: 1, bCol: 0)
            var y = [Float](repeating: .nan, count: 4)
            w.multiply(x, ldx: 48, m: 1, into: &y, ldy: 4, pool: ComputePool(threads: 1))
            for r in 0..<4 { #expect(abs(Double(y[r]) - decode.c[r]) <= 1e-6 * decode.size[r], "row \(r)") }
        }
    }
}
