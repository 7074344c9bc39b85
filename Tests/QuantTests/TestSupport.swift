import SwarmBase
import Foundation
@testable import Quant

extension SeededRandom {

    /// A standard normal sample (Box-Muller).
    mutating func normal() -> Float {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &self)
        let u2 = Double.random(in: 0..<1, using: &self)
        return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) }
    }
}

/// Gaussian weights whose scale changes from block to block, like a real weight matrix's rows.
func gaussianWeights(count: Int, blockSize: Int, seed: UInt64) -> [Float] {
    var rng = SeededRandom(seed: seed)
    var values = [Float]()
    values.reserveCapacity(count)
    var scale: Float = 0.02
    for i in 0..<count {
        if i % blockSize == 0 { scale = 0.02 * Float.random(in: 0.25...4, using: &rng) }
        values.append(rng.normal() * scale)
    }
    return values
}

func hexBytes(_ hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    precondition(digits.count % 2 == 0, "odd hex length in fixture")
    func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        default: preconditionFailure("bad hex digit in fixture")
        }
    }
    return stride(from: 0, to: digits.count, by: 2).map { nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
}

func hexFloats(_ hex: String) -> [Float] {
    let bytes = hexBytes(hex)
    return stride(from: 0, to: bytes.count, by: 4).map { i in
        Float(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
    }
}

/// Same Float, bit for bit; any two NaNs count as equal (payloads differ between conversion
/// routines and are not part of any format's contract).
func sameFloat(_ a: Float, _ b: Float) -> Bool {
    (a.isNaN && b.isNaN) || a.bitPattern == b.bitPattern
}

func firstMismatch(_ actual: [Float], _ expected: [Float]) -> String? {
    guard actual.count == expected.count else { return "count \(actual.count) != \(expected.count)" }
    for i in actual.indices where !sameFloat(actual[i], expected[i]) {
        return "element \(i): \(actual[i]) (0x\(String(actual[i].bitPattern, radix: 16))) != expected \(expected[i]) (0x\(String(expected[i].bitPattern, radix: 16)))"
    }
    return nil
}

/// The golden fixture written by scripts/reference/quant_fixtures.py from gguf-py.
struct GoldenFixture: Decodable {
    struct DecodeCase: Decodable {
        let type: String
        let name: String
        let elements: Int
        let bytes: String
        let expected: String
    }
    struct EncodeCase: Decodable {
        let type: String
        let name: String
        let elements: Int
        let input: String
        let expected: String
    }
    let dequantize: [DecodeCase]
    let quantize: [EncodeCase]
    let nf4_levels_from_construction: [Double]

    static func load() throws -> GoldenFixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/quant_golden.json")
        return try JSONDecoder().decode(GoldenFixture.self, from: Data(contentsOf: url))
    }
}

extension GGMLType {
    /// The type with gguf-py's name for it ("Q4_K", "BF16", ...).
    init?(ggufName: String) {
        guard let type = GGMLType.allCases.first(where: { $0.description == ggufName }) else { return nil }
        self = type
    }
}

/// Every ggml block type (everything except NF4).
let ggmlTypes: [GGMLType] = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]

/// The block formats (everything but the plain floats), NF4 included.
let blockTypes: [GGMLType] = [.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .nf4]
