import enum SwarmBase.XXH64
import Testing
@testable import Transport

@Suite("Frame codec")
struct FrameCodecTests {
    static let node = NodeID(digest: Digest32(bytes: (0..<32).map { UInt8($0) })!)
    static let schema = Digest32(bytes: [UInt8](repeating: 0x5C, count: 32))!

    static func sampleFactors() throws -> Factors {
        let a = try FactorTensor(name: "model.layers.0.self_attn.q_proj.lora_A", shape: [8, 576], floats: (0..<4608).map { Float($0) * 0.5 })
        let b = try FactorTensor(name: "model.layers.0.self_attn.q_proj.lora_B", dtype: .bf16, shape: [576, 8],
                                 data: (0..<9216).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let c = try FactorTensor(name: "scale", dtype: .f16, shape: [1], data: [0x00, 0x3C])
        return Factors(round: 123_456_789_012, sender: node, schemaHash: schema, tensors: [a, b, c])
    }

    static func sampleFrames() throws -> [Frame] {
        [
            .hello(Hello(nodeID: node, swarmID: "swarm-é", listenAddress: "10.0.0.7:7400", coreHash: .zero, schemaHash: schema)),
            .hello(Hello(nodeID: node, swarmID: "s", listenAddress: "", coreHash: schema, schemaHash: .zero)),
            .reason(Reason(.schemaMismatch, "adapter schema differs")),
            .reason(Reason(ReasonCode(rawValue: 999), "")),
            .membership([]),
            .membership(Array(0...255)),
            .factors(try sampleFactors()),
            .factors(Factors(round: 0, sender: node, schemaHash: schema, tensors: [])),
            .bye,
        ]
    }

    @Test("every frame kind round-trips through encode and the streaming decoder")
    func roundTrip() throws {
        for frame in try Self.sampleFrames() {
            var decoder = FrameDecoder()
            decoder.feed(try frame.encoded())
            #expect(try decoder.nextFrame() == frame)
            #expect(try decoder.nextFrame() == nil)
            #expect(decoder.bufferedByteCount == 0)
        }
    }

    @Test("frames split at every byte boundary decode the same", arguments: [1, 2, 3, 7, 64, 4096])
    func splitFeeding(chunk: Int) throws {
        let frames = try Self.sampleFrames()
        let stream = try frames.flatMap { try $0.encoded() }
        var decoder = FrameDecoder()
        var decoded = [Frame]()
        var offset = 0
        while offset < stream.count {
            let end = min(stream.count, offset + chunk)
            decoder.feed(stream[offset..<end])
            offset = end
            while let frame = try decoder.nextFrame() { decoded.append(frame) }
        }
        #expect(decoded == frames)
    }

    @Test("wire layout: little-endian length counts kind + payload")
    func wireLayout() throws {
        #expect(try Frame.bye.encoded() == [1, 0, 0, 0, 5])
        #expect(try Frame.membership([0xAA, 0xBB]).encoded() == [3, 0, 0, 0, 3, 0xAA, 0xBB])
        #expect(try Frame.reason(Reason(.timeout, "t")).encoded() == [6, 0, 0, 0, 2, 10, 0, 1, 0, UInt8(ascii: "t")])
    }

    /// Decodes one frame from raw body bytes (kind + payload) with a fresh decoder.
    static func decode(_ body: [UInt8], limit: Int = Frame.defaultMaxLength) throws(FrameError) -> Frame? {
        var decoder = FrameDecoder(maxFrameLength: limit)
        let length = UInt32(body.count)
        decoder.feed([UInt8(length & 0xff), UInt8(length >> 8 & 0xff), UInt8(length >> 16 & 0xff), UInt8(length >> 24)] + body)
        return try decoder.nextFrame()
    }

    static func helloBody(swarm: [UInt8] = Array("s".utf8), listen: [UInt8] = [], version: UInt16 = 1) -> [UInt8] {
        var body: [UInt8] = [FrameKind.hello.rawValue, UInt8(version & 0xff), UInt8(version >> 8)]
        body += node.digest.bytes
        body += [UInt8(swarm.count & 0xff), UInt8(swarm.count >> 8)] + swarm
        body += [UInt8(listen.count & 0xff), UInt8(listen.count >> 8)] + listen
        body += [UInt8](repeating: 1, count: 64)
        return body
    }

    /// Body of a factors frame with one tensor, with each field overridable.
    static func factorsBody(name: [UInt8] = Array("t".utf8), dtype: UInt8 = 0, shape: [UInt32] = [2],
                            byteCount: UInt64? = nil, checksum: UInt64? = nil, data: [UInt8] = [UInt8](repeating: 3, count: 8),
                            count: UInt32 = 1, repeatTensor: Bool = false, trailing: [UInt8] = []) -> [UInt8] {
        var w = ByteWriter()
        w.u8(FrameKind.factors.rawValue)
        w.u64(1)
        w.raw(node.digest.bytes)
        w.raw(schema.bytes)
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
        return w.bytes
    }

    @Test("the factors body helper itself produces a valid frame")
    func helperIsValid() throws {
        #expect(try Self.decode(Self.factorsBody()) != nil)
        #expect(try Self.decode(Self.helloBody()) != nil)
    }

    @Test("every malformed input gets its own typed error")
    func malformed() {
        func expectError(_ expected: FrameError, _ body: [UInt8], limit: Int = Frame.defaultMaxLength,
                         sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(throws: expected, sourceLocation: sourceLocation) { try Self.decode(body, limit: limit) }
        }
        var decoder = FrameDecoder()
        decoder.feed([0, 0, 0, 0, 1])
        #expect(throws: FrameError.emptyFrame) { try decoder.nextFrame() }
        expectError(.frameTooLarge(length: 11, limit: 10), [3] + [UInt8](repeating: 0, count: 10), limit: 10)
        expectError(.unknownKind(0), [0])
        expectError(.unknownKind(200), [200, 1, 2])
        expectError(.trailingBytes(kind: .bye, count: 1), [FrameKind.bye.rawValue, 0])
        expectError(.truncated(kind: .hello, field: "version", offset: 0, needed: 2, available: 1), [FrameKind.hello.rawValue, 1])
        expectError(.truncated(kind: .hello, field: "schemaHash", offset: 71, needed: 32, available: 31), Array(Self.helloBody().dropLast()))
        expectError(.trailingBytes(kind: .hello, count: 1), Self.helloBody() + [0])
        expectError(.emptyField(field: "swarmID"), Self.helloBody(swarm: []))
        expectError(.invalidUTF8(field: "swarmID", offset: 36), Self.helloBody(swarm: [0xC3, 0x28]))
        expectError(.fieldTooLong(field: "listenAddress", length: 256, limit: 255), Self.helloBody(listen: [UInt8](repeating: 65, count: 256)))
        expectError(.truncated(kind: .reason, field: "text", offset: 4, needed: 5, available: 1), [FrameKind.reason.rawValue, 1, 0, 5, 0, 65])
        expectError(.invalidDType(tensor: "t", code: 3), Self.factorsBody(dtype: 3))
        expectError(.invalidRank(tensor: "t", rank: 0), Self.factorsBody(shape: []))
        expectError(.invalidRank(tensor: "t", rank: 9), Self.factorsBody(shape: [UInt32](repeating: 1, count: 9)))
        expectError(.invalidDimension(tensor: "t", axis: 1), Self.factorsBody(shape: [2, 0]))
        expectError(.tensorSizeMismatch(tensor: "t", expected: 12, actual: 8), Self.factorsBody(shape: [3]))
        expectError(.tensorSizeMismatch(tensor: "t", expected: 8, actual: 4), Self.factorsBody(byteCount: 4, trailing: []) )
        expectError(.checksumMismatch(tensor: "t", expected: 42, actual: XXH64.hash([UInt8](repeating: 3, count: 8))), Self.factorsBody(checksum: 42))
        expectError(.duplicateTensor(name: "t"), Self.factorsBody(count: 2, repeatTensor: true))
        expectError(.trailingBytes(kind: .factors, count: 3), Self.factorsBody(trailing: [1, 2, 3]))
        expectError(.fieldTooLong(field: "tensors", length: 5000, limit: Factors.maxTensors), Self.factorsBody(count: 5000))
        expectError(.emptyField(field: "tensor.name"), Self.factorsBody(name: []))
        // A byte count beyond the frame is caught before any allocation.
        let huge = Self.factorsBody(byteCount: UInt64.max)
        #expect(throws: FrameError.self) { try Self.decode(huge) }
        // Dimensions whose product overflows.
        expectError(.shapeOverflow(tensor: "t"), Self.factorsBody(shape: [UInt32.max, UInt32.max, UInt32.max]))
    }

    @Test("a failed decoder stays failed and holds no bytes")
    func failureIsSticky() throws {
        var decoder = FrameDecoder(maxFrameLength: 16)
        decoder.feed([255, 0, 0, 0])
        #expect(throws: FrameError.frameTooLarge(length: 255, limit: 16)) { try decoder.nextFrame() }
        decoder.feed(try Frame.bye.encoded())
        #expect(decoder.bufferedByteCount == 0)
        #expect(throws: FrameError.frameTooLarge(length: 255, limit: 16)) { try decoder.nextFrame() }
    }

    @Test("encoding refuses what decoding would reject")
    func encodeValidation() throws {
        let long = String(repeating: "x", count: 256)
        #expect(throws: FrameError.fieldTooLong(field: "swarmID", length: 256, limit: 255)) {
            try Frame.hello(Hello(nodeID: Self.node, swarmID: long, listenAddress: "", coreHash: .zero, schemaHash: .zero)).encoded()
        }
        let t = try FactorTensor(name: "a", shape: [1], floats: [1])
        #expect(throws: FrameError.duplicateTensor(name: "a")) {
            try Frame.factors(Factors(round: 1, sender: Self.node, schemaHash: .zero, tensors: [t, t])).encoded()
        }
        #expect(throws: FrameError.tensorSizeMismatch(tensor: "a", expected: 8, actual: 4)) {
            try FactorTensor(name: "a", shape: [2], floats: [1])
        }
        #expect(Reason(.timeout, String(repeating: "é", count: 2000)).text.utf8.count <= Reason.maxTextLength)
    }

    @Test("a hello from a future protocol version reports its version")
    func futureVersion() {
        #expect(Hello.peekVersion([2, 0, 9, 9][...]) == 2)
        #expect(Hello.peekVersion([2][...]) == nil)
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
