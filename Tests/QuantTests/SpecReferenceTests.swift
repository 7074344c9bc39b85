import SwarmBase
import Testing
@testable import Quant

/// The module's decoders against the one-element-at-a-time decoder in SpecReference.swift, on
/// seeded random blocks: random payload bytes with random (finite, mostly sane) fp16 scales.
@Suite struct SpecReferenceTests {
    /// Random tensor bytes of `blocks` blocks; fp16 scale fields get random finite halves.
    static func randomTensor(_ type: GGMLType, blocks: Int, rng: inout SeededRandom) -> [UInt8] {
        var bytes = rng.bytes(blocks * type.typeSize)
        let scaleOffsets: [Int]
        switch type {
        case .q4_0, .q5_0, .q8_0: scaleOffsets = [0]
        case .q4_1, .q5_1, .q4_K, .q5_K: scaleOffsets = [0, 2]
        case .q2_K: scaleOffsets = [80, 82]
        case .q3_K: scaleOffsets = [108]
        case .q6_K: scaleOffsets = [208]
        default: scaleOffsets = []
        }
        for b in 0..<blocks {
            for offset in scaleOffsets {
                // Exponent field 0...30: every finite half, subnormals included.
                let bits = UInt16.random(in: 0...0x7BFF, using: &rng) | (Bool.random(using: &rng) ? 0x8000 : 0)
                bytes[b * type.typeSize + offset] = UInt8(bits & 0xFF)
                bytes[b * type.typeSize + offset + 1] = UInt8(bits >> 8)
            }
        }
        return bytes
    }

    @Test(arguments: ggmlTypes)
    func decodeMatchesSpecReference(type: GGMLType) throws {
        var rng = SeededRandom(seed: 0x5EED_0000 + UInt64(type.rawValue))
        let blocks = type.blockSize == 1 ? 512 : 12
        let bytes = Self.randomTensor(type, blocks: blocks, rng: &rng)
        let elements = blocks * type.blockSize
        let decoded = try Dequantize.row(type, bytes, elements: elements)
        let reference = (0..<elements).map { specElement(type, bytes, $0) }
        let mismatch = firstMismatch(decoded, reference)
        #expect(mismatch == nil, "\(type): \(mismatch ?? "")")
    }

    /// Decoding any bytes at all must not trap: NaN/Inf scales, extreme codes.
    @Test(arguments: GGMLType.allCases)
    func arbitraryBytesDecodeWithoutTrapping(type: GGMLType) throws {
        var rng = SeededRandom(seed: 0xBAD_B17E5 + UInt64(type.rawValue))
        let elements = type == .nf4 ? 64 * 300 : 4 * 256
        let count = try #require(type.byteCount(elements: elements))
        for _ in 0..<3 {
            let decoded = try Dequantize.row(type, rng.bytes(count), elements: elements)
            #expect(decoded.count == elements)
        }
    }
}
