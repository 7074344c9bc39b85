import SwarmBase

/// Why a SWIM payload could not be encoded or decoded. Offsets are byte offsets into the payload.
public enum SWIMCodecError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The payload ended while reading `field`.
    case truncated(field: String, offset: Int, needed: Int, available: Int)
    case unsupportedVersion(UInt8)
    case unknownMessageKind(UInt8)
    /// A count or length exceeds the protocol limit (or, when decoding, what the remaining bytes could hold).
    case limitExceeded(field: String, offset: Int, value: Int, limit: Int)
    case invalidUTF8(field: String, offset: Int)
    case invalidValue(field: String, offset: Int, value: UInt64)
    case invalidNodeID(field: String, offset: Int)
    case invalidAddress(field: String, offset: Int, reason: PeerAddressError)
    case trailingBytes(offset: Int, count: Int)

    /// The codec error for a field that could not be read.
    public init(_ error: ByteReadError) {
        switch error {
        case let .truncated(field, offset, needed, available):
            self = .truncated(field: field, offset: offset, needed: needed, available: available)
        case let .limitExceeded(field, offset, value, limit):
            self = .limitExceeded(field: field, offset: offset, value: Int(clamping: value), limit: Int(clamping: limit))
        case let .invalidUTF8(field, offset):
            self = .invalidUTF8(field: field, offset: offset)
        case let .trailingBytes(offset, count):
            self = .trailingBytes(offset: offset, count: count)
        }
    }

    public var description: String {
        switch self {
        case let .truncated(field, offset, needed, available):
            "SWIM payload truncated at byte \(offset) reading \(field): needs \(needed) bytes, \(available) left"
        case let .unsupportedVersion(version):
            "SWIM payload version \(version) is not supported (this node speaks \(SWIMCodec.version)); upgrade the older node"
        case let .unknownMessageKind(kind):
            "SWIM message kind \(kind) is unknown"
        case let .limitExceeded(field, offset, value, limit):
            "SWIM \(field) at byte \(offset) is \(value), over the limit \(limit)"
        case let .invalidUTF8(field, offset):
            "SWIM \(field) at byte \(offset) is not valid UTF-8"
        case let .invalidValue(field, offset, value):
            "SWIM \(field) at byte \(offset) has invalid value \(value)"
        case let .invalidNodeID(field, offset):
            "SWIM \(field) at byte \(offset) is the all-zero node id, which no key has"
        case let .invalidAddress(field, offset, reason):
            "SWIM \(field) at byte \(offset) is not a valid address: \(reason)"
        case let .trailingBytes(offset, count):
            "SWIM payload has \(count) unexpected bytes after the message at byte \(offset)"
        }
    }
}
