/// Binary encoding of `SWIMEnvelope`, little-endian and versioned.
///
/// ```
/// envelope := u8 version(=1) | u8 kind | nodeID sender | address senderAddress | body | u16 n | update*n
/// body     := ping: u32 seq | nodeID target        ack, nack: u32 seq
///             pingRequest: u32 seq | nodeID target | address targetAddress
///             pushPull: u8 flags(bit0 response, bit1 join) | u32 n | update*n
///             leave: u64 incarnation          gossip: (empty)
/// update   := nodeID | address | u64 incarnation | u8 status | u8 flags(bit0 metadata, bit1 suspector)
///             | [nodeID suspector] | [metadata]
/// metadata := str coreHash | str adapterSchemaHash | u8 n | (str key | str value)*n
/// nodeID, str := u8 length | UTF-8 bytes        address := str host | u16 port
/// ```
/// Every count and length is capped (`Limits`) and checked against the bytes left before anything is
/// allocated; any malformed input yields a `SWIMCodecError`.
public enum SWIMCodec {
    public static let version: UInt8 = 1

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
    static let minimumUpdateSize = 2 + 4 + 8 + 1 + 1
    static let minimumCapabilitySize = 2

    // MARK: Encoding

    /// Encodes an envelope; throws when it holds more than the limits allow.
    public static func encode(_ envelope: SWIMEnvelope) throws(SWIMCodecError) -> [UInt8] {
        var writer = WireWriter(capacity: 64 + envelope.gossip.count * 48)
        writer.u8(version)
        writer.u8(kind(of: envelope.message).rawValue)
        try writeNodeID(envelope.sender, &writer, "sender")
        try writeAddress(envelope.senderAddress, &writer, "sender address")
        switch envelope.message {
        case let .ping(sequence, target):
            writer.u32(sequence)
            try writeNodeID(target, &writer, "ping target")
        case let .ack(sequence):
            writer.u32(sequence)
        case let .pingRequest(sequence, target, targetAddress):
            writer.u32(sequence)
            try writeNodeID(target, &writer, "ping-request target")
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
        return writer.bytes
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

    private static func checkCount(_ count: Int, _ limit: Int, _ field: String, _ writer: WireWriter) throws(SWIMCodecError) {
        guard count <= limit else { throw .limitExceeded(field: field, offset: writer.bytes.count, value: count, limit: limit) }
    }

    private static func writeNodeID(_ id: NodeID, _ writer: inout WireWriter, _ field: String) throws(SWIMCodecError) {
        try writer.string(id.rawValue, field: field, limit: NodeID.maxLength)
    }

    private static func writeAddress(_ address: PeerAddress, _ writer: inout WireWriter, _ field: String) throws(SWIMCodecError) {
        try writer.string(address.host, field: field, limit: Limits.maxHostLength)
        writer.u16(address.port)
    }

    private static func writeUpdate(_ update: MembershipUpdate, _ writer: inout WireWriter) throws(SWIMCodecError) {
        try writeNodeID(update.id, &writer, "member id")
        try writeAddress(update.address, &writer, "member address")
        writer.u64(update.incarnation)
        writer.u8(update.status.rawValue)
        writer.u8((update.metadata != nil ? 1 : 0) | (update.suspector != nil ? 2 : 0))
        if let suspector = update.suspector { try writeNodeID(suspector, &writer, "suspector") }
        if let metadata = update.metadata {
            try writer.string(metadata.coreHash, field: "core hash", limit: MemberMetadata.maxHashLength)
            try writer.string(metadata.adapterSchemaHash, field: "adapter schema hash", limit: MemberMetadata.maxHashLength)
            try checkCount(metadata.capabilities.count, MemberMetadata.maxCapabilities, "capability count", writer)
            writer.u8(UInt8(metadata.capabilities.count))
            for key in metadata.capabilities.keys.sorted() {
                try writer.string(key, field: "capability key", limit: MemberMetadata.maxKeyLength)
                try writer.string(metadata.capabilities[key] ?? "", field: "capability value", limit: MemberMetadata.maxValueLength)
            }
        }
    }

    // MARK: Decoding

    /// Decodes one envelope; the payload must hold exactly one.
    public static func decode(_ bytes: [UInt8]) throws(SWIMCodecError) -> SWIMEnvelope {
        var reader = WireReader(bytes)
        let version = try reader.u8("version")
        guard version == SWIMCodec.version else { throw .unsupportedVersion(version) }
        let rawKind = try reader.u8("message kind")
        guard let kind = Kind(rawValue: rawKind) else { throw .unknownMessageKind(rawKind) }
        let sender = try readNodeID(&reader, "sender")
        let senderAddress = try readAddress(&reader, "sender address")
        let message: SWIMMessage
        switch kind {
        case .ping:
            message = .ping(sequence: try reader.u32("ping sequence"), target: try readNodeID(&reader, "ping target"))
        case .ack:
            message = .ack(sequence: try reader.u32("ack sequence"))
        case .pingRequest:
            message = .pingRequest(sequence: try reader.u32("ping-request sequence"),
                                   target: try readNodeID(&reader, "ping-request target"),
                                   targetAddress: try readAddress(&reader, "ping-request target address"))
        case .nack:
            message = .nack(sequence: try reader.u32("nack sequence"))
        case .pushPull:
            let flagsOffset = reader.offset
            let flags = try reader.u8("push-pull flags")
            guard flags & ~3 == 0 else { throw .invalidValue(field: "push-pull flags", offset: flagsOffset, value: UInt64(flags)) }
            let count = try reader.count32("push-pull member count", limit: Limits.maxPushPullMembers,
                                           minimumSize: minimumUpdateSize)
            var members: [MembershipUpdate] = []
            members.reserveCapacity(count)
            for _ in 0..<count { members.append(try readUpdate(&reader)) }
            message = .pushPull(.init(isResponse: flags & 1 != 0, join: flags & 2 != 0, members: members))
        case .leave:
            message = .leave(incarnation: try reader.u64("leave incarnation"))
        case .gossip:
            message = .gossip
        }
        let count = try reader.count16("gossip count", limit: Limits.maxGossip, minimumSize: minimumUpdateSize)
        var gossip: [MembershipUpdate] = []
        gossip.reserveCapacity(count)
        for _ in 0..<count { gossip.append(try readUpdate(&reader)) }
        guard reader.remaining == 0 else { throw .trailingBytes(offset: reader.offset, count: reader.remaining) }
        return SWIMEnvelope(sender: sender, senderAddress: senderAddress, message: message, gossip: gossip)
    }

    private static func readNodeID(_ reader: inout WireReader, _ field: String) throws(SWIMCodecError) -> NodeID {
        let start = reader.offset
        let text = try reader.string(field, limit: NodeID.maxLength)
        guard let id = NodeID(text) else { throw .invalidNodeID(field: field, offset: start) }
        return id
    }

    private static func readAddress(_ reader: inout WireReader, _ field: String) throws(SWIMCodecError) -> PeerAddress {
        let start = reader.offset
        let host = try reader.string(field, limit: Limits.maxHostLength)
        let port = try reader.u16("\(field) port")
        do {
            return try PeerAddress(host: host, port: port)
        } catch {
            throw .invalidAddress(field: field, offset: start, reason: error)
        }
    }

    private static func readUpdate(_ reader: inout WireReader) throws(SWIMCodecError) -> MembershipUpdate {
        let id = try readNodeID(&reader, "member id")
        let address = try readAddress(&reader, "member address")
        let incarnation = try reader.u64("member incarnation")
        let statusOffset = reader.offset
        let rawStatus = try reader.u8("member status")
        guard let status = MemberStatus(rawValue: rawStatus) else {
            throw .invalidValue(field: "member status", offset: statusOffset, value: UInt64(rawStatus))
        }
        let flagsOffset = reader.offset
        let flags = try reader.u8("member flags")
        guard flags & ~3 == 0 else { throw .invalidValue(field: "member flags", offset: flagsOffset, value: UInt64(flags)) }
        let suspector: NodeID? = if flags & 2 != 0 { try readNodeID(&reader, "suspector") } else { nil }
        var metadata: MemberMetadata?
        if flags & 1 != 0 {
            let coreHash = try reader.string("core hash", limit: MemberMetadata.maxHashLength)
            let schemaHash = try reader.string("adapter schema hash", limit: MemberMetadata.maxHashLength)
            let count = try reader.count8("capability count", limit: MemberMetadata.maxCapabilities,
                                          minimumSize: minimumCapabilitySize)
            var capabilities: [String: String] = [:]
            for _ in 0..<count {
                let keyOffset = reader.offset
                let key = try reader.string("capability key", limit: MemberMetadata.maxKeyLength)
                let value = try reader.string("capability value", limit: MemberMetadata.maxValueLength)
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
