import SwarmBase

/// One protocol message.
///
/// Wire form: `u32 length (LE) | u8 kind | payload`, where length counts kind + payload.
/// Encoding and decoding are pure; the decoder validates every field (see `FrameError`).
/// The transport itself speaks hello, reason and bye; everything the layers above exchange
/// (membership, factors...) travels as a `Payload` the transport does not interpret.
public enum Frame: Hashable, Sendable {
    /// First frame each way.
    case hello(Hello)
    /// A refusal or a goodbye with a cause; the sender closes after it.
    case reason(Reason)
    /// Opaque bytes of a registered kind for the layer above.
    case payload(Payload)
    /// Orderly goodbye; the sender closes after it.
    case bye

    /// Bytes of the length prefix.
    public static let headerSize = 4
    /// Default limit of the length field (kind + payload): 64 MiB.
    public static let defaultMaxLength = 64 << 20

    public var kind: FrameKind {
        switch self {
        case .hello: return .hello
        case .reason: return .reason
        case .payload: return .payload
        case .bye: return .bye
        }
    }

    /// The complete wire bytes: length prefix, kind and payload.
    ///
    /// Throws if a field breaks a protocol limit (text too long), so a node never sends what its
    /// peers would reject.
    public func encoded() throws(FrameError) -> [UInt8] {
        var writer = ByteWriter(capacity: Frame.headerSize + 1 + estimatedPayloadSize)
        writer.u32(0)
        writer.u8(kind.rawValue)
        switch self {
        case .hello(let hello):
            try Self.checkText("swarmID", hello.swarmID, limit: Hello.maxTextLength, allowEmpty: false)
            try Self.checkText("listenAddress", hello.listenAddress, limit: Hello.maxTextLength, allowEmpty: true)
            hello.encode(into: &writer)
        case .reason(let reason):
            reason.encode(into: &writer)
        case .payload(let payload):
            payload.encode(into: &writer)
        case .bye:
            break
        }
        let length = writer.count - Frame.headerSize
        guard length <= Int(UInt32.max) else {
            throw .frameTooLarge(length: UInt64(length), limit: Int(UInt32.max))
        }
        writer.patchU32(UInt32(length), at: 0)
        return writer.finish()
    }

    private var estimatedPayloadSize: Int {
        switch self {
        case .hello: return 2 + 32 + 2 * (2 + Hello.maxTextLength) + 64
        case .reason(let reason): return 4 + reason.text.utf8.count
        case .payload(let payload): return Payload.headerSize + payload.body.count
        case .bye: return 0
        }
    }

    private static func checkText(_ field: String, _ text: String, limit: Int, allowEmpty: Bool) throws(FrameError) {
        let length = text.utf8.count
        if length > limit { throw .fieldTooLong(field: field, length: length, limit: limit) }
        if length == 0 && !allowEmpty { throw .emptyField(field: field) }
    }

    /// Decodes a frame body (kind byte + payload) that a `FrameDecoder` cut from the stream.
    public static func decode(kind rawKind: UInt8, payload: ArraySlice<UInt8>) throws(FrameError) -> Frame {
        guard let kind = FrameKind(rawValue: rawKind) else { throw .unknownKind(rawKind) }
        var reader = ByteReader(payload)
        do {
            switch kind {
            case .hello:
                return .hello(try Hello.decode(&reader))
            case .reason:
                return .reason(try Reason.decode(&reader))
            case .payload:
                return .payload(try Payload.decode(&reader))
            case .bye:
                try reader.expectEnd()
                return .bye
            }
        } catch {
            throw FrameError(kind: kind, error)
        }
    }
}
