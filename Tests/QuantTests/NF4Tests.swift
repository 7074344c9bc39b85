import SwarmBase
import Testing
@testable import Quant

@Suite struct NF4Tests {
    /// Layout size from the documented formula, computed independently of NF4.Layout.
    static func documentedByteCount(_ n: Int) -> Int {
        let blocks = n / 64
        let paddedAbsmax = (blocks + 3) / 4 * 4
        let groups = (blocks + 255) / 256
        return n / 2 + paddedAbsmax + 8 * groups
    }

    /// Reads group g's (scale, mean) from the documented position.
    static func group(_ g: Int, _ bytes: [UInt8], elements n: Int) -> (scale: Float, mean: Float) {
        let at = n / 2 + (n / 64 + 3) / 4 * 4 + 8 * g
        func f32(_ o: Int) -> Float {
            Float(bitPattern: UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24)
        }
        return (f32(at), f32(at + 4))
    }

    @Test func codebookProperties() {
        let levels = NF4.codebook
        #expect(levels.count == 16)
        #expect(levels.first == -1 && levels.last == 1)
        #expect(levels[Int(NF4.zeroCode)] == 0)
        #expect(zip(levels, levels.dropFirst()).allSatisfy { $0 < $1 })
        // Asymmetric by construction: 7 negative levels, 8 positive.
        #expect(levels.filter { $0 < 0 }.count == 7 && levels.filter { $0 > 0 }.count == 8)
    }

    @Test func nearestCodeIsTheNearestLevel() {
        var rng = SeededRandom(seed: 44)
        for _ in 0..<20_000 {
            let t = Float.random(in: -1.3...1.3, using: &rng)
            let chosen = NF4.codebook[Int(NF4.nearestCode(t))]
            let best = NF4.codebook.map { abs($0 - t) }.min() ?? 0
            #expect(abs(chosen - t) <= best + 1e-7, "t = \(t)")
        }
        for (i, level) in NF4.codebook.enumerated() {
            #expect(NF4.nearestCode(level) == UInt8(i))
        }
    }

    @Test(arguments: [0, 64, 64 * 3, 64 * 255, 64 * 256, 64 * 257, 64 * 1000])
    func layoutByteCount(elements: Int) throws {
        let layout = try NF4.Layout(elements: elements)
        #expect(layout.byteCount == Self.documentedByteCount(elements))
        #expect(GGMLType.nf4.byteCount(elements: elements) == Self.documentedByteCount(elements))
        #expect(layout.groupsOffset % 4 == 0)
        let values = gaussianWeights(count: elements, blockSize: 64, seed: UInt64(elements))
        let bytes = try values.withUnsafeBufferPointer { try NF4.quantize($0) }
        #expect(bytes.count == Self.documentedByteCount(elements))
    }

    @Test func partialBlocksAreRejected() {
        #expect(GGMLType.nf4.byteCount(elements: 100) == nil)
        #expect(throws: QuantError.self) { try NF4.Layout(elements: -64) }
        #expect(throws: QuantError.self) { try [Float](repeating: 1, count: 65).withUnsafeBufferPointer { try NF4.quantize($0) } }
    }

    /// Each weight decodes to its nearest level times the decoded absmax a', so the error is at
    /// most half the widest gap between levels times |a'|, plus how far |x| exceeds |a'| (the
    /// block's extreme can lie beyond a' when double quantization rounded absmax down).
    @Test func roundTripErrorBound() throws {
        let n = 64 * 600                                   // three groups, the last one partial
        let values = gaussianWeights(count: n, blockSize: 64, seed: 45)
        let bytes = try values.withUnsafeBufferPointer { try NF4.quantize($0) }
        let decoded = try NF4.dequantize(bytes, elementCount: n)
        let absmax = try bytes.withUnsafeBytes { try NF4.absmaxValues($0, elementCount: n) }
        let halfGap = zip(NF4.codebook, NF4.codebook.dropFirst()).map { ($1 - $0) / 2 }.max() ?? 0
        for i in 0..<n {
            let a = abs(absmax[i / 64])
            let bound = halfGap * a + max(0, abs(values[i]) - a)
            #expect(abs(values[i] - decoded[i]) <= bound * 1.0001 + 1e-9, "element \(i)")
        }
    }

    /// Each block's decoded absmax is within half a group step (scale / 2) of the true absmax, and
    /// the group's mean is the mean of its blocks' absmax.
    @Test func doubleQuantizedAbsmaxError() throws {
        let n = 64 * 600
        let values = gaussianWeights(count: n, blockSize: 64, seed: 46)
        let bytes = try values.withUnsafeBufferPointer { try NF4.quantize($0) }
        let decodedAbsmax = try bytes.withUnsafeBytes { try NF4.absmaxValues($0, elementCount: n) }
        let trueAbsmax = (0..<n / 64).map { b in values[64 * b..<64 * b + 64].map(abs).max() ?? 0 }
        for g in 0..<3 {
            let (scale, mean) = Self.group(g, bytes, elements: n)
            let blocks = 256 * g..<min(256 * g + 256, n / 64)
            let expectedMean = blocks.map { Double(trueAbsmax[$0]) }.reduce(0, +) / Double(blocks.count)
            #expect(abs(Double(mean) - expectedMean) <= expectedMean * 1e-6)
            #expect(scale > 0)
            for b in blocks {
                #expect(abs(decodedAbsmax[b] - trueAbsmax[b]) <= scale * 0.5001, "block \(b)")
            }
        }
    }

    @Test func randomAccessRangesEqualFullDecode() throws {
        let n = 64 * 520
        let values = gaussianWeights(count: n, blockSize: 64, seed: 47)
        let bytes = try values.withUnsafeBufferPointer { try NF4.quantize($0) }
        let full = try NF4.dequantize(bytes, elementCount: n)
        // Rows of a 520 x 64 matrix, rows of a 65 x 512 matrix, and arbitrary unaligned spans.
        var ranges = (0..<520).map { 64 * $0..<64 * $0 + 64 } + (0..<65).map { 512 * $0..<512 * $0 + 512 }
        var rng = SeededRandom(seed: 48)
        for _ in 0..<50 {
            let start = Int.random(in: 0..<n, using: &rng)
            ranges.append(start..<Int.random(in: start...n, using: &rng))
        }
        for range in ranges {
            let part = try NF4.dequantize(bytes, elementCount: n, range: range)
            #expect(firstMismatch(part, Array(full[range])) == nil, "range \(range)")
        }
        // Dequantize.row on the whole tensor agrees too.
        #expect(firstMismatch(try Dequantize.row(.nf4, bytes, elements: n), full) == nil)
    }

    /// The documented byte layout, decoded by hand for one element of each nibble half.
    @Test func layoutMatchesDocumentation() throws {
        let n = 64 * 300
        let values = gaussianWeights(count: n, blockSize: 64, seed: 49)
        let bytes = try values.withUnsafeBufferPointer { try NF4.quantize($0) }
        let decoded = try NF4.dequantize(bytes, elementCount: n)
        for i in [0, 31, 32, 63, 64 * 257 + 5, 64 * 257 + 40, n - 1] {
            let block = i / 64, k = i % 64
            let byte = bytes[32 * block + k % 32]
            let code = k < 32 ? byte & 0x0F : byte >> 4
            let q = Int8(bitPattern: bytes[n / 2 + block])
            let (scale, mean) = Self.group(block / 256, bytes, elements: n)
            let absmax = Float(q) * scale + mean
            #expect(decoded[i].bitPattern == (NF4.codebook[Int(code)] * absmax).bitPattern, "element \(i)")
        }
        // Padding between the absmax bytes and the group table is zero.
        let padStart = n / 2 + n / 64
        #expect(bytes[padStart..<(n / 2 + (n / 64 + 3) / 4 * 4)].allSatisfy { $0 == 0 })
    }

    @Test func malformedTensorsAreRejected() throws {
        let n = 64 * 4
        let bytes = try gaussianWeights(count: n, blockSize: 64, seed: 50).withUnsafeBufferPointer { try NF4.quantize($0) }
        #expect(throws: QuantError.self) { try NF4.dequantize(Array(bytes.dropLast()), elementCount: n) }
        #expect(throws: QuantError.self) { try NF4.dequantize(bytes, elementCount: n + 64) }
        #expect(throws: QuantError.self) { try NF4.dequantize(bytes, elementCount: n, range: 0..<(n + 1)) }
        #expect(throws: QuantError.self) { try NF4.dequantize(bytes, elementCount: n, range: 0..<Int.max) }
        #expect(throws: QuantError.self) { try NF4.dequantize(bytes, elementCount: n, range: -1..<3) }
        #expect(throws: QuantError.self) { try [Float](repeating: .nan, count: 64).withUnsafeBufferPointer { try NF4.quantize($0) } }
    }
}
