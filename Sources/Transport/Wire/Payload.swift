import SwarmBase

/// The body of a payload frame: opaque bytes of one registered kind, from one sender.
///
/// The transport checks, for every kind in one place, that `sender` is the node whose certificate
/// TLS verified on the connection; a payload claiming anyone else is refused (the connection is
/// closed with a protocol error and `TransportStatistics.forgedSender` counts it). So a layer above
/// can attribute a payload to `sender` without checking again.
public struct Payload: Hashable, Sendable {
    public var kind: PayloadKind
    /// The node the payload is from.
    public var sender: NodeID
    /// The layer above's encoding (SWIM message, factors...).
    public var body: [UInt8]

    public init(kind: PayloadKind, sender: NodeID, body: [UInt8]) {
        self.kind = kind
        self.sender = sender
        self.body = body
    }

    /// Bytes of the fixed header (kind, sender).
    static let headerSize = 1 + Digest32.byteCount

    // Layout: kind u8 | sender [32] | body (the rest of the frame).
    func encode(into writer: inout ByteWriter) {
        encodeHeader(into: &writer)
        writer.raw(body)
    }

    /// The fields before the body (`headerSize` bytes).
    func encodeHeader(into writer: inout ByteWriter) {
        writer.u8(kind.rawValue)
        writer.raw(sender.digest.bytes)
    }

    static func decode(_ reader: inout ByteReader<ArraySlice<UInt8>>) throws(ByteReadError) -> Payload {
        let kind = PayloadKind(rawValue: try reader.u8("payload kind"))
        let sender = NodeID(digest: try reader.digest("sender"))
        let body = Array(try reader.bytes(reader.remaining, "body"))
        return Payload(kind: kind, sender: sender, body: body)
    }
}
