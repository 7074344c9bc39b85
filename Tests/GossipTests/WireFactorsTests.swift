import Testing
import SwarmBase
@testable import Gossip

@Suite("Factors message codec")
struct WireFactorsTests {
    static let node = NodeID(digest: Digest32(bytes: (0..<32).map { UInt8($0) })!)
    static let schema = Digest32(bytes: [UInt8](repeating: 0x5C, count: 32))!

    static func sampleFactors() throws -> FactorsMessage {
        let a = try FactorTensor(name: "model.layers.0.self_attn.q_proj.lora_A", shape: [8, 576], floats: (0..<4608).map { Float($0) * 0.5 })
        let b = try FactorTensor(name: "model.layers.0.self_attn.q_proj.lora_B", dtype: .bf16, shape: [576, 8],
                                 data: (0..<9216).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let c = try FactorTensor(name: "scale", dtype: .f16, shape: [1], data: [0x00, 0x3C])
        return FactorsMessage(round: 123_456_789_012, sender: node, schemaHash: schema, degree: 3, tensors: [a, b, c])
    }

    @Test("factors messages round-trip through encode and decode")
    func roundTrip() throws {
        for message in [try Self.sampleFactors(), FactorsMessage(round: 0, sender: Self.node, schemaHash: Self.schema, tensors: [])] {
            #expect(try FactorsMessage.decode(message.encoded(), sender: Self.node) == message)
        }
        let floats = try #require(try Self.sampleFactors().tensors.first?.floats)
        #expect(floats.count == 4608 && floats[3] == 1.5)
    }

    /// A message with one tensor, with each field overridable.
    static func factorsBody(name: [UInt8] = Array("t".utf8), dtype: UInt8 = 0, shape: [UInt32] = [2],
                            byteCount: UInt64? = nil, checksum: UInt64? = nil, data: [UInt8] = [UInt8](repeating: 3, count: 8),
                            count: UInt32 = 1, repeatTensor: Bool = false, trailing: [UInt8] = [], degree: UInt16 = 2) -> [UInt8] {
        var w = ByteWriter()
        w.u64(1)
        w.raw(schema.bytes)
        w.u16(degree)
        w.u32(count)
        for _ in 0..<(repeatTensor ? 2 : 1) {
            w.u16(UInt16(name.count))
            w.raw(name)
            w.u8(dtype)
            w.u8(UInt8(shape.count))
            for d in shape { w.u32(d) }
            w.u64(byteCount ?? UInt64(data.count))
            w.u64(checksum ?? XXH64.hash(data))
            w.raw(data)
        }
        w.raw(trailing)
        return w.finish()
    }

    static func decode(_ body: [UInt8]) throws(FactorsError) -> FactorsMessage {
        try FactorsMessage.decode(body, sender: node)
    }

    @Test("the factors body helper itself produces a valid message")
    func helperIsValid() throws {
        #expect(try Self.decode(Self.factorsBody()).tensors.count == 1)
    }

    @Test("every malformed message gets its own typed error")
    func malformed() {
        func expectError(_ expected: FactorsError, _ body: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(throws: expected, sourceLocation: sourceLocation) { try Self.decode(body) }
        }
        expectError(.truncated(field: "schemaHash", offset: 8, needed: 32, available: 1), [1, 0, 0, 0, 0, 0, 0, 0, 9])
        expectError(.invalidDType(tensor: "t", code: 3), Self.factorsBody(dtype: 3))
        expectError(.invalidRank(tensor: "t", rank: 0), Self.factorsBody(shape: []))
        expectError(.invalidRank(tensor: "t", rank: 9), Self.factorsBody(shape: [UInt32](repeating: 1, count: 9)))
        expectError(.invalidDimension(tensor: "t", axis: 1), Self.factorsBody(shape: [2, 0]))
        expectError(.tensorSizeMismatch(tensor: "t", expected: 12, actual: 8), Self.factorsBody(shape: [3]))
        expectError(.tensorSizeMismatch(tensor: "t", expected: 8, actual: 4), Self.factorsBody(byteCount: 4, trailing: []) )
        expectError(.checksumMismatch(tensor: "t", expected: 42, actual: XXH64.hash([UInt8](repeating: 3, count: 8))), Self.factorsBody(checksum: 42))
        expectError(.duplicateTensor(name: "t"), Self.factorsBody(count: 2, repeatTensor: true))
        expectError(.trailingBytes(count: 3), Self.factorsBody(trailing: [1, 2, 3]))
        expectError(.fieldTooLong(field: "tensors", length: 5000, limit: FactorsMessage.maxTensors), Self.factorsBody(count: 5000))
        expectError(.emptyField(field: "tensor.name"), Self.factorsBody(name: []))
        expectError(.invalidUTF8(field: "tensor.name", offset: 48), Self.factorsBody(name: [0xC3, 0x28]))
        expectError(.emptyField(field: "degree"), Self.factorsBody(degree: 0))
        // A byte count beyond the message is caught before any allocation.
        let huge = Self.factorsBody(byteCount: UInt64.max)
        #expect(throws: FactorsError.self) { try Self.decode(huge) }
        // Dimensions whose product overflows.
        expectError(.shapeOverflow(tensor: "t"), Self.factorsBody(shape: [UInt32.max, UInt32.max, UInt32.max]))
    }

    @Test("truncating a message at any offset yields a typed error")
    func truncationAtEveryOffset() throws {
        let bytes = try FactorsMessage(round: 5, sender: Self.node, schemaHash: Self.schema,
                                       tensors: [try FactorTensor(name: "a", shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])]).encoded()
        for length in 0..<bytes.count {
            #expect(throws: FactorsError.self) { try Self.decode(Array(bytes[0..<length])) }
        }
    }

    @Test("mutated messages never crash the decoder, and what decodes re-encodes the same")
    func mutationFuzz() throws {
        let sample = try Self.sampleFactors()
        let small = try FactorsMessage(round: 1, sender: Self.node, schemaHash: Self.schema,
                                       tensors: [try FactorTensor(name: "b", dtype: .f16, shape: [4], data: [0, 60, 0, 60, 0, 0, 0, 188])]).encoded()
        let corpus = [try sample.encoded().prefix(400).map { $0 }, small]
        var random = SeededRandom(seed: 9)
        var decoded = 0
        for iteration in 0..<5_000 {
            var bytes = corpus[iteration % corpus.count]
            for _ in 0..<random.below(4) + 1 {
                bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next())
            }
            if let message = try? Self.decode(bytes) {
                decoded += 1
                #expect(try Self.decode(message.encoded()) == message)
            }
        }
        // The cut-off sample never decodes; some mutations of the small one stay valid (in the round).
        #expect(decoded > 0)
    }

    @Test("encoding refuses what decoding would reject")
    func encodeValidation() throws {
        let t = try FactorTensor(name: "a", shape: [1], floats: [1])
        #expect(throws: FactorsError.duplicateTensor(name: "a")) {
            try FactorsMessage(round: 1, sender: Self.node, schemaHash: .zero, tensors: [t, t]).encoded()
        }
        #expect(throws: FactorsError.tensorSizeMismatch(tensor: "a", expected: 8, actual: 4)) {
            try FactorTensor(name: "a", shape: [2], floats: [1])
        }
        #expect(throws: FactorsError.fieldTooLong(field: "tensor.name", length: 256, limit: 255)) {
            try FactorTensor(name: String(repeating: "n", count: 256), shape: [1], floats: [1])
        }
    }

    @Test("XXH64 matches the reference implementation's vectors")
    func xxh64Vectors() {
        #expect(XXH64.hash([]) == 0xEF46_DB37_51D8_E999)
        #expect(XXH64.hash(Array("a".utf8)) == 0xD24E_C4F1_A98C_6E5B)
        #expect(XXH64.hash(Array("abc".utf8)) == 0x44BC_2CF5_AD77_0999)
        #expect(XXH64.hash(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x0B24_2D36_1FDA_71BC)
        #expect(XXH64.hash((0..<768).map { UInt8($0 % 256) }) == 0x8E03_C838_C596_036F)
    }
}
