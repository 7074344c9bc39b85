import Membership
import SwarmBase
import Testing

/// Seeded generator of arbitrary valid envelopes.
struct EnvelopeGenerator {
    var random: SeededRandom

    init(seed: UInt64) { random = SeededRandom(seed: seed) }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
    mutating func bool() -> Bool { Bool.random(using: &random) }

    mutating func text(_ length: ClosedRange<Int>, alphabet: [Character]) -> String {
        String((0..<int(length)).map { _ in alphabet[int(0...alphabet.count - 1)] })
    }

    mutating func nodeID() -> NodeID {
        var bytes = (0..<Digest32.byteCount).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        bytes[0] |= 1  // never the all-zero id
        return NodeID(digest: Digest32(unchecked: bytes))
    }

    mutating func address() throws -> PeerAddress {
        let port = UInt16(int(1...65_535))
        switch int(0...3) {
        case 0: return try PeerAddress(host: "\(int(0...255)).\(int(0...255)).\(int(0...255)).\(int(0...255))", port: port)
        case 1: return try PeerAddress(host: "node-\(int(0...9999)).swarm.lan", port: port)
        case 2: return try PeerAddress(host: "fd00::\(String(int(0...0xFFFF), radix: 16))", port: port)
        default: return try PeerAddress(host: "2001:db8:0:0:0:0:\(String(int(0...0xFFFF), radix: 16)):1", port: port)
        }
    }

    mutating func metadata() -> MemberMetadata {
        let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789-é→")
        var capabilities: [String: String] = [:]
        for _ in 0..<int(0...4) { capabilities["k\(int(0...99))"] = text(0...20, alphabet: letters) }
        return MemberMetadata(coreHash: text(0...64, alphabet: Array("0123456789abcdef")),
                              adapterSchemaHash: text(0...64, alphabet: Array("0123456789abcdef")),
                              capabilities: capabilities)
    }

    mutating func update() throws -> MembershipUpdate {
        MembershipUpdate(id: nodeID(), address: try address(), incarnation: random.next() >> UInt64(int(0...63)),
                         status: MemberStatus.allCases[int(0...3)], metadata: bool() ? metadata() : nil,
                         suspector: bool() ? nodeID() : nil)
    }

    mutating func message(kind: Int) throws -> SWIMMessage {
        let sequence = UInt32(truncatingIfNeeded: random.next())
        switch kind {
        case 0: return .ping(sequence: sequence, target: nodeID())
        case 1: return .ack(sequence: sequence)
        case 2: return .pingRequest(sequence: sequence, target: nodeID(), targetAddress: try address())
        case 3: return .nack(sequence: sequence)
        case 4: return .pushPull(.init(isResponse: bool(), join: bool(), members: try (0..<int(0...12)).map { _ in try update() }))
        case 5: return .leave(incarnation: random.next())
        default: return .gossip
        }
    }

    static let kindCount = 7

    mutating func envelope(kind: Int) throws -> SWIMEnvelope {
        SWIMEnvelope(sender: nodeID(), senderAddress: try address(), message: try message(kind: kind),
                     gossip: try (0..<int(0...8)).map { _ in try update() })
    }
}

@Suite("SWIM codec")
struct SWIMCodecTests {
    @Test("every message kind round-trips through encode and decode")
    func roundTripEveryKind() throws {
        var generator = EnvelopeGenerator(seed: 1)
        for iteration in 0..<3_000 {
            let envelope = try generator.envelope(kind: iteration % EnvelopeGenerator.kindCount)
            let bytes = try SWIMCodec.encode(envelope)
            #expect(try SWIMCodec.decode(bytes, sender: envelope.sender) == envelope)
        }
    }

    @Test("truncating an encoding at any offset yields a typed error")
    func truncationAtEveryOffset() throws {
        var generator = EnvelopeGenerator(seed: 2)
        for iteration in 0..<60 {
            let envelope = try generator.envelope(kind: iteration % EnvelopeGenerator.kindCount)
            let bytes = try SWIMCodec.encode(envelope)
            for length in 0..<bytes.count {
                #expect(throws: SWIMCodecError.self) { try SWIMCodec.decode(Array(bytes[0..<length]), sender: envelope.sender) }
            }
        }
    }

    @Test("random and mutated bytes never crash the decoder (100k inputs)")
    func fuzzRandomAndMutatedBytes() throws {
        var generator = EnvelopeGenerator(seed: 3)
        var random = SeededRandom(seed: 4)
        var samples: [[UInt8]] = []
        for kind in 0..<(EnvelopeGenerator.kindCount * 8) {
            samples.append(try SWIMCodec.encode(try generator.envelope(kind: kind % EnvelopeGenerator.kindCount)))
        }
        let sender = generator.nodeID()
        var decoded = 0
        var rejected = 0
        for iteration in 0..<100_000 {
            var bytes: [UInt8]
            if iteration % 2 == 0 {
                // Pure noise, with a valid version byte half of the time so decoding goes deeper.
                bytes = (0..<Int.random(in: 0...96, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                if !bytes.isEmpty && iteration % 4 == 0 { bytes[0] = SWIMCodec.version }
                if bytes.count > 1 && iteration % 4 == 0 { bytes[1] = UInt8.random(in: 1...7, using: &random) }
            } else {
                // A valid encoding with a few bytes overwritten.
                bytes = samples[iteration % samples.count]
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
            }
            do {
                let envelope = try SWIMCodec.decode(bytes, sender: sender)
                // Whatever decodes must re-encode to something that decodes to the same value.
                #expect(try SWIMCodec.decode(SWIMCodec.encode(envelope), sender: sender) == envelope)
                decoded += 1
            } catch {
                rejected += 1
            }
        }
        // Both paths were exercised: some mutations stay valid (e.g. in sequence numbers), most do not.
        #expect(rejected > 0 && decoded > 0)
    }

    @Test("huge declared counts are rejected before allocating")
    func hugeCountsAreRejected() throws {
        let sender = NodeID.named("a")
        let address = try PeerAddress(host: "10.0.0.1", port: 1)
        let base = try SWIMCodec.encode(SWIMEnvelope(sender: sender, senderAddress: address,
                                                     message: .pushPull(.init(isResponse: false, join: false, members: []))))
        // Layout: version, kind, address (1 + 8 + 2), flags, u32 count, u16 gossip count (the sender
        // travels in the transport frame).
        let countOffset = 2 + 11 + 1
        var hugeMembers = base
        hugeMembers.replaceSubrange(countOffset..<countOffset + 4, with: [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: SWIMCodecError.limitExceeded(field: "push-pull member count", offset: countOffset,
                                                     value: 0xFFFF_FFFF, limit: SWIMCodec.Limits.maxPushPullMembers)) {
            try SWIMCodec.decode(hugeMembers, sender: sender)
        }
        var plausibleMembers = base
        plausibleMembers.replaceSubrange(countOffset..<countOffset + 4, with: [0x00, 0x10, 0x00, 0x00])
        #expect(throws: SWIMCodecError.self) { try SWIMCodec.decode(plausibleMembers, sender: sender) }
        var hugeGossip = base
        hugeGossip.replaceSubrange(countOffset + 4..<countOffset + 6, with: [0xFF, 0xFF])
        #expect(throws: SWIMCodecError.limitExceeded(field: "gossip count", offset: countOffset + 4,
                                                     value: 0xFFFF, limit: SWIMCodec.Limits.maxGossip)) {
            try SWIMCodec.decode(hugeGossip, sender: sender)
        }
        var smallGossip = base
        smallGossip.replaceSubrange(countOffset + 4..<countOffset + 6, with: [0x05, 0x00])
        #expect(throws: SWIMCodecError.truncated(field: "gossip count", offset: countOffset + 6,
                                                 needed: 5 * (32 + 4 + 8 + 1 + 1), available: 0)) {
            try SWIMCodec.decode(smallGossip, sender: sender)
        }
    }

    @Test("wrong version, unknown kind, bad status and trailing bytes are typed errors")
    func malformedHeadersAndValues() throws {
        let update = MembershipUpdate(id: NodeID.named("m"), address: try PeerAddress(host: "h", port: 2), incarnation: 7,
                                      status: .suspect)
        let envelope = SWIMEnvelope(sender: NodeID.named("s"), senderAddress: try PeerAddress(host: "h", port: 1),
                                    message: .ack(sequence: 9), gossip: [update])
        let bytes = try SWIMCodec.encode(envelope)
        var badVersion = bytes
        badVersion[0] = SWIMCodec.version + 1
        #expect(throws: SWIMCodecError.unsupportedVersion(SWIMCodec.version + 1)) { try SWIMCodec.decode(badVersion, sender: envelope.sender) }
        var badKind = bytes
        badKind[1] = 99
        #expect(throws: SWIMCodecError.unknownMessageKind(99)) { try SWIMCodec.decode(badKind, sender: envelope.sender) }
        var badStatus = bytes
        let statusOffset = bytes.count - 2
        badStatus[statusOffset] = 4
        #expect(throws: SWIMCodecError.invalidValue(field: "member status", offset: statusOffset, value: 4)) {
            try SWIMCodec.decode(badStatus, sender: envelope.sender)
        }
        #expect(throws: SWIMCodecError.trailingBytes(offset: bytes.count, count: 1)) { try SWIMCodec.decode(bytes + [0], sender: envelope.sender) }
        // The gossiped member's id follows version, kind, address (1 + 1 + 2), ack sequence and gossip count.
        let idOffset = 2 + 4 + 4 + 2
        var badID = bytes
        badID.replaceSubrange(idOffset..<idOffset + 32, with: [UInt8](repeating: 0, count: 32)) // the all-zero id
        #expect(throws: SWIMCodecError.invalidNodeID(field: "member id", offset: idOffset)) {
            try SWIMCodec.decode(badID, sender: envelope.sender)
        }
    }

    @Test("encoding more gossip than the limit is refused")
    func encodeRefusesOversizedGossip() throws {
        let update = MembershipUpdate(id: NodeID.named("m"), address: try PeerAddress(host: "h", port: 2), incarnation: 0,
                                      status: .alive)
        let envelope = SWIMEnvelope(sender: NodeID.named("s"), senderAddress: try PeerAddress(host: "h", port: 1),
                                    message: .ack(sequence: 1),
                                    gossip: Array(repeating: update, count: SWIMCodec.Limits.maxGossip + 1))
        #expect(throws: SWIMCodecError.self) { try SWIMCodec.encode(envelope) }
    }
}
