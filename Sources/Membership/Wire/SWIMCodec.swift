import SwarmBase

/// Binary encoding of `SWIMEnvelope`, little-endian and versioned.
///
/// ```
/// envelope := u8 version(=2) | u8 kind | address senderAddress | body | u16 n | update*n
/// body     := ping: u32 seq | nodeID target        ack, nack: u32 seq
///             pingRequest: u32 seq | nodeID target | address targetAddress
///             pushPull: u8 flags(bit0 response, bit1 join) | u32 n | update*n
///             leave: u64 incarnation          gossip: (empty)
/// update   := nodeID | address | u64 incarnation | u8 status | u8 flags(bit0 metadata, bit1 suspector)
///             | [nodeID suspector] | [metadata]
/// metadata := str coreHash | str adapterSchemaHash | u8 n | (str key | str value)*n
/// nodeID   := 32 bytes (the key digest; never all zero)
/// str      := u8 length | UTF-8 bytes        address := str host | u16 port
/// ```
/// The sender's id is not in the payload: it is the sender of the transport frame, which the
/// transport has checked against the TLS-verified peer, so `decode` takes it as an argument.
/// Every count and length is capped (`Limits`) and checked against the bytes left before anything is
/// allocated; any malformed input yields a `SWIMCodecError`.
public enum SWIMCodec {
    public static let version: UInt8 = 2

    /// Caps on what one payload may hold.
    public enum Limits {
        public static let maxGossip = 64
        public static let maxPushPullMembers = 16_384
        public static let maxHostLength = 253
    }

    enum Kind: UInt8 {
        case ping = 1, ack, pingRequest, nack, pushPull, leave, gossip
    }

    /// Smallest encoded sizes, used to bound counts by the bytes left.
    static let minimumUpdateSize = Digest32.byteCount + 4 + 8 + 1 + 1
    static let minimumCapabilitySize = 2

    // MARK: Encoding

    /// Encodes an envelope (all but its sender, see the type's comment); throws when it holds more
    /// than the limits allow.
    public static func encode(_ envelope: SWIMEnvelope) throws(SWIMCodecError) -> [UInt8] {
        var writer = ByteWriter(capacity: 64 + envelope.gossip.count * 80)
        writer.u8(version)
        writer.u8(kind(of: envelope.message).rawValue)
        try writeAddress(envelope.senderAddress, &writer, "sender address")
        switch envelope.message {
        case let .ping(sequence, target):
            writer.u32(sequence)
            writer.raw(target.digest.bytes)
        case let .ack(sequence):
            writer.u32(sequence)
        case let .pingRequest(sequence, target, targetAddress):
            writer.u32(sequence)
            writer.raw(target.digest.bytes)
            try writeAddress(targetAddress, &writer, "ping-request target address")
        case let .nack(sequence):
            writer.u32(sequence)
        case let .pushPull(pushPull):
            writer.u8((pushPull.isResponse ? 1 : 0) | (pushPull.join ? 2 : 0))
            try checkCount(pushPull.members.count, Limits.maxPushPullMembers, "push-pull member count", writer)
            writer.u32(UInt32(pushPull.members.count))
            for update in pushPull.members { try writeUpdate(update, &writer) }
        case let .leave(incarnation):
            writer.u64(incarnation)
        case .gossip:
            break
        }
        try checkCount(envelope.gossip.count, Limits.maxGossip, "gossip count", writer)
        writer.u16(UInt16(envelope.gossip.count))
        for update in envelope.gossip { try writeUpdate(update, &writer) }
        return writer.finish()
    }

    private static func kind(of message: SWIMMessage) -> Kind {
        switch message {
        case .ping: .ping
        case .ack: .ack
        case .pingRequest: .pingRequest
        case .nack: .nack
        case .pushPull: .pushPull
        case .leave: .leave
        case .gossip: .gossip
        }
    }

    private static func checkCount(_ count: Int, _ limit: Int, _ field: String, _ writer: ByteWriter) throws(SWIMCodecError) {
        guard count <= limit else { throw .limitExceeded(field: field, offset: writer.count, value: count, limit: limit) }
    }

    /// A string as u8 length + UTF-8 bytes, refused over `limit` (at most 255).
    private static func writeString(_ text: String, _ writer: inout ByteWriter, field: String, limit: Int) throws(SWIMCodecError) {
        let length = text.utf8.count
        guard length <= limit else {
            throw .limitExceeded(field: field, offset: writer.count, value: length, limit: limit)
        }
        writer.string(text, length: UInt8.self)
    }

    private static func writeAddress(_ address: PeerAddress, _ writer: inout ByteWriter, _ field: String) throws(SWIMCodecError) {
        try writeString(address.host, &writer, field: field, limit: Limits.maxHostLength)
        writer.u16(address.port)
    }

    private static func writeUpdate(_ update: MembershipUpdate, _ writer: inout ByteWriter) throws(SWIMCodecError) {
        writer.raw(update.id.digest.bytes)
        try writeAddress(update.address, &writer, "member address")
        writer.u64(update.incarnation)
        writer.u8(update.status.rawValue)
        writer.u8((update.metadata != nil ? 1 : 0) | (update.suspector != nil ? 2 : 0))
        if let suspector = update.suspector { writer.raw(suspector.digest.bytes) }
        if let metadata = update.metadata {
            try writeString(metadata.coreHash, &writer, field: "core hash", limit: MemberMetadata.maxHashLength)
            try writeString(metadata.adapterSchemaHash, &writer, field: "adapter schema hash", limit: MemberMetadata.maxHashLength)
            try checkCount(metadata.capabilities.count, MemberMetadata.maxCapabilities, "capability count", writer)
            writer.u8(UInt8(metadata.capabilities.count))
            for key in metadata.capabilities.keys.sorted() {
                try writeString(key, &writer, field: "capability key", limit: MemberMetadata.maxKeyLength)
                try writeString(metadata.capabilities[key] ?? "", &writer, field: "capability value", limit: MemberMetadata.maxValueLength)
            }
        }
    }

    // MARK: Decoding

    typealias Reader = ByteReader<[UInt8]>

    /// Decodes one envelope sent by `sender` (the transport frame's verified sender); the payload
    /// must hold exactly one.
    public static func decode(_ bytes: [UInt8], sender: NodeID) throws(SWIMCodecError) -> SWIMEnvelope {
        var reader = Reader(bytes)
        let version = try read { () throws(ByteReadError) in try reader.u8("version") }
        guard version == SWIMCodec.version else { throw .unsupportedVersion(version) }
        let rawKind = try read { () throws(ByteReadError) in try reader.u8("message kind") }
        guard let kind = Kind(rawValue: rawKind) else { throw .unknownMessageKind(rawKind) }
        let senderAddress = try readAddress(&reader, "sender address")
        let message: SWIMMessage
        switch kind {
        case .ping:
            message = .ping(sequence: try read { () throws(ByteReadError) in try reader.u32("ping sequence") }, target: try readNodeID(&reader, "ping target"))
        case .ack:
            message = .ack(sequence: try read { () throws(ByteReadError) in try reader.u32("ack sequence") })
        case .pingRequest:
            message = .pingRequest(sequence: try read { () throws(ByteReadError) in try reader.u32("ping-request sequence") },
                                   target: try readNodeID(&reader, "ping-request target"),
                                   targetAddress: try readAddress(&reader, "ping-request target address"))
        case .nack:
            message = .nack(sequence: try read { () throws(ByteReadError) in try reader.u32("nack sequence") })
        case .pushPull:
            let flagsOffset = reader.offset
            let flags = try read { () throws(ByteReadError) in try reader.u8("push-pull flags") }
            guard flags & ~3 == 0 else { throw .invalidValue(field: "push-pull flags", offset: flagsOffset, value: UInt64(flags)) }
            let count = try read { () throws(ByteReadError) in try reader.count("push-pull member count", as: UInt32.self, limit: Limits.maxPushPullMembers, minimumSize: minimumUpdateSize) }
            var members: [MembershipUpdate] = []
            members.reserveCapacity(count)
            for _ in 0..<count { members.append(try readUpdate(&reader)) }
            message = .pushPull(.init(isResponse: flags & 1 != 0, join: flags & 2 != 0, members: members))
        case .leave:
            message = .leave(incarnation: try read { () throws(ByteReadError) in try reader.u64("leave incarnation") })
        case .gossip:
            message = .gossip
        }
        let count = try read { () throws(ByteReadError) in try reader.count("gossip count", as: UInt16.self, limit: Limits.maxGossip, minimumSize: minimumUpdateSize) }
        var gossip: [MembershipUpdate] = []
        gossip.reserveCapacity(count)
        for _ in 0..<count { gossip.append(try readUpdate(&reader)) }
        try read { () throws(ByteReadError) in try reader.expectEnd() }
        return SWIMEnvelope(sender: sender, senderAddress: senderAddress, message: message, gossip: gossip)
    }

    private static func readNodeID(_ reader: inout Reader, _ field: String) throws(SWIMCodecError) -> NodeID {
        let start = reader.offset
        let digest = try read { () throws(ByteReadError) in try reader.digest(field) }
        // No key hashes to zero: an all-zero id is a placeholder, never a member.
        guard digest != .zero else { throw .invalidNodeID(field: field, offset: start) }
        return NodeID(digest: digest)
    }

    /// Runs one read, turning a `ByteReadError` into the matching `SWIMCodecError`.
    @inline(__always)
    private static func read<T>(_ body: () throws(ByteReadError) -> T) throws(SWIMCodecError) -> T {
        do { return try body() } catch { throw SWIMCodecError(error) }
    }

    private static func readAddress(_ reader: inout Reader, _ field: String) throws(SWIMCodecError) -> PeerAddress {
        let start = reader.offset
        let host = try read { () throws(ByteReadError) in try reader.string(field, length: UInt8.self, limit: Limits.maxHostLength) }
        let port = try read { () throws(ByteReadError) in try reader.u16("\(field) port") }
        do {
            return try PeerAddress(host: host, port: port)
        } catch {
            throw .invalidAddress(field: field, offset: start, reason: error)
        }
    }

    private static func readUpdate(_ reader: inout Reader) throws(SWIMCodecError) -> MembershipUpdate {
        let id = try readNodeID(&reader, "member id")
        let address = try readAddress(&reader, "member address")
        let incarnation = try read { () throws(ByteReadError) in try reader.u64("member incarnation") }
        let statusOffset = reader.offset
        let rawStatus = try read { () throws(ByteReadError) in try reader.u8("member status") }
        guard let status = MemberStatus(rawValue: rawStatus) else {
            throw .invalidValue(field: "member status", offset: statusOffset, value: UInt64(rawStatus))
        }
        let flagsOffset = reader.offset
        let flags = try read { () throws(ByteReadError) in try reader.u8("member flags") }
        guard flags & ~3 == 0 else { throw .invalidValue(field: "member flags", offset: flagsOffset, value: UInt64(flags)) }
        let suspector: NodeID? = if flags & 2 != 0 { try readNodeID(&reader, "suspector") } else { nil }
        var metadata: MemberMetadata?
        if flags & 1 != 0 {
            let coreHash = try read { () throws(ByteReadError) in try reader.string("core hash", length: UInt8.self, limit: MemberMetadata.maxHashLength) }
            let schemaHash = try read { () throws(ByteReadError) in try reader.string("adapter schema hash", length: UInt8.self, limit: MemberMetadata.maxHashLength) }
            let count = try read { () throws(ByteReadError) in try reader.count("capability count", as: UInt8.self, limit: MemberMetadata.maxCapabilities, minimumSize: minimumCapabilitySize) }
            var capabilities: [String: String] = [:]
            for _ in 0..<count {
                let keyOffset = reader.offset
                let key = try read { () throws(ByteReadError) in try reader.string("capability key", length: UInt8.self, limit: MemberMetadata.maxKeyLength) }
                let value = try read { () throws(ByteReadError) in try reader.string("capability value", length: UInt8.self, limit: MemberMetadata.maxValueLength) }
                guard capabilities.updateValue(value, forKey: key) == nil else {
                    throw .invalidValue(field: "duplicate capability key", offset: keyOffset, value: UInt64(key.utf8.count))
                }
            }
            metadata = MemberMetadata(coreHash: coreHash, adapterSchemaHash: schemaHash, capabilities: capabilities)
        }
        return MembershipUpdate(id: id, address: address, incarnation: incarnation, status: status,
                                metadata: metadata, suspector: suspector)
    }
}
