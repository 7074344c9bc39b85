import SwarmBase

/// Everything that can be wrong with bytes received on the wire.
///
/// Every case names the field and, where it helps, the byte offset inside the frame payload,
/// so a log line says exactly what the peer sent.
public enum FrameError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The length prefix announces more bytes than the configured limit.
    case frameTooLarge(length: UInt64, limit: Int)
    /// The length prefix is zero: a frame needs at least its kind byte.
    case emptyFrame
    /// The kind byte is not one this protocol version knows.
    case unknownKind(UInt8)
    /// A field runs past the end of the payload.
    case truncated(kind: FrameKind, field: String, offset: Int, needed: Int, available: Int)
    /// Bytes remain after the last field of the payload.
    case trailingBytes(kind: FrameKind, count: Int)
    /// A text field is not valid UTF-8.
    case invalidUTF8(field: String, offset: Int)
    /// A text field or list exceeds its limit.
    case fieldTooLong(field: String, length: Int, limit: Int)
    /// A required text field is empty.
    case emptyField(field: String)
    /// A frame kind that is not allowed at this point of the conversation.
    case unexpectedFrame(kind: FrameKind, state: String)

    public var description: String {
        switch self {
        case let .frameTooLarge(length, limit):
            return "frame length \(length) exceeds the limit of \(limit) bytes"
        case .emptyFrame:
            return "frame length is 0 (a frame needs at least a kind byte)"
        case let .unknownKind(kind):
            return "unknown frame kind \(kind)"
        case let .truncated(kind, field, offset, needed, available):
            return "\(kind) frame truncated at '\(field)' (payload offset \(offset)): needs \(needed) bytes, \(available) left"
        case let .trailingBytes(kind, count):
            return "\(kind) frame has \(count) unexpected trailing bytes"
        case let .invalidUTF8(field, offset):
            return "field '\(field)' at payload offset \(offset) is not valid UTF-8"
        case let .fieldTooLong(field, length, limit):
            return "field '\(field)' has length \(length), limit is \(limit)"
        case let .emptyField(field):
            return "field '\(field)' must not be empty"
        case let .unexpectedFrame(kind, state):
            return "unexpected \(kind) frame while \(state)"
        }
    }
}

extension FrameError {
    /// The frame error for a field of a `kind` frame that could not be read. A text over its limit
    /// is `fieldTooLong`, an empty one where text is required `emptyField`.
    init(kind: FrameKind, _ error: ByteReadError) {
        switch error {
        case let .truncated(field, offset, needed, available):
            self = .truncated(kind: kind, field: field, offset: offset, needed: needed, available: available)
        case let .limitExceeded(field, _, value, limit):
            self = value == 0 ? .emptyField(field: field)
                : .fieldTooLong(field: field, length: Int(clamping: value), limit: Int(clamping: limit))
        case let .invalidUTF8(field, offset):
            self = .invalidUTF8(field: field, offset: offset)
        case let .trailingBytes(_, count):
            self = .trailingBytes(kind: kind, count: count)
        }
    }
}
