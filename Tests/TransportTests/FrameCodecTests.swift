import SwarmBase
import Testing
@testable import Transport

@Suite("Frame codec")
struct FrameCodecTests {
    static let node = NodeID(digest: Digest32(bytes: (0..<32).map { UInt8($0) })!)
    static let schema = Digest32(bytes: [UInt8](repeating: 0x5C, count: 32))!

    static func sampleFrames() throws -> [Frame] {
        [
            .hello(Hello(nodeID: node, swarmID: "swarm-é", listenAddress: "10.0.0.7:7400", coreHash: .zero, schemaHash: schema)),
            .hello(Hello(nodeID: node, swarmID: "s", listenAddress: "", coreHash: schema, schemaHash: .zero)),
            .reason(Reason(.schemaMismatch, "adapter schema differs")),
            .reason(Reason(ReasonCode(rawValue: 999), "")),
            .payload(Payload(kind: .membership, sender: node, body: [])),
            .payload(Payload(kind: .membership, sender: node, body: Array(0...255))),
            .payload(Payload(kind: .factors, sender: node, body: [UInt8](repeating: 0xF1, count: 70_000))),
            .payload(Payload(kind: PayloadKind(rawValue: 77), sender: node, body: [1])),
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

    @Test("the two-part wire form of every frame is its encoding, and a large payload's body is its own array")
    func outgoingEqualsEncoded() throws {
        for frame in try Self.sampleFrames() {
            let outgoing = try frame.outgoing()
            #expect(outgoing.bytes == (try frame.encoded()))
            #expect(outgoing.count == outgoing.bytes.count)
            if case .payload(let payload) = frame, payload.body.count >= OutgoingFrame.separateBodyBytes {
                #expect(outgoing.head.count == Frame.headerSize + 1 + Payload.headerSize)
                #expect(outgoing.body == payload.body)
            } else {
                #expect(outgoing.body.isEmpty)
            }
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
        #expect(try Frame.payload(Payload(kind: .membership, sender: Self.node, body: [0xAA, 0xBB])).encoded()
                == [36, 0, 0, 0, 3, 1] + Self.node.digest.bytes + [0xAA, 0xBB])
        #expect(try Frame.reason(Reason(.timeout, "t")).encoded() == [6, 0, 0, 0, 2, 10, 0, 1, 0, UInt8(ascii: "t")])
    }

    /// Decodes one frame from raw body bytes (kind + payload) with a fresh decoder.
    static func decode(_ body: [UInt8], limit: Int = Frame.defaultMaxLength) throws(FrameError) -> Frame? {
        var decoder = FrameDecoder(maxFrameLength: limit)
        let length = UInt32(body.count)
        decoder.feed([UInt8(length & 0xff), UInt8(length >> 8 & 0xff), UInt8(length >> 16 & 0xff), UInt8(length >> 24)] + body)
        return try decoder.nextFrame()
    }

    static func helloBody(swarm: [UInt8] = Array("s".utf8), listen: [UInt8] = [], version: UInt16 = Hello.currentVersion) -> [UInt8] {
        var body: [UInt8] = [FrameKind.hello.rawValue, UInt8(version & 0xff), UInt8(version >> 8)]
        body += node.digest.bytes
        body += [UInt8(swarm.count & 0xff), UInt8(swarm.count >> 8)] + swarm
        body += [UInt8(listen.count & 0xff), UInt8(listen.count >> 8)] + listen
        body += [UInt8](repeating: 1, count: 64)
        return body
    }

    @Test("the hello body helper itself produces a valid frame")
    func helperIsValid() throws {
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
        expectError(.truncated(kind: .payload, field: "payload kind", offset: 0, needed: 1, available: 0), [FrameKind.payload.rawValue])
        expectError(.truncated(kind: .payload, field: "sender", offset: 1, needed: 32, available: 31),
                    [FrameKind.payload.rawValue, PayloadKind.membership.rawValue] + [UInt8](repeating: 7, count: 31))
        expectError(.unknownKind(4), [4, 0])  // the factors frame of protocol version 1
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
        #expect(Reason(.timeout, String(repeating: "é", count: 2000)).text.utf8.count <= Reason.maxTextLength)
    }

    @Test("a hello from a future protocol version reports its version")
    func futureVersion() {
        #expect(Hello.peekVersion([2, 0, 9, 9][...]) == 2)
        #expect(Hello.peekVersion([2][...]) == nil)
    }
}
