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
    /// The tensor dtype code is not f32 (0), bf16 (1) or f16 (2).
    case invalidDType(tensor: String, code: UInt8)
    /// The tensor rank is 0 or above `FactorTensor.maxRank`.
    case invalidRank(tensor: String, rank: Int)
    /// A dimension is zero.
    case invalidDimension(tensor: String, axis: Int)
    /// shape x element size does not fit in memory arithmetic.
    case shapeOverflow(tensor: String)
    /// The tensor's data length disagrees with its shape and dtype.
    case tensorSizeMismatch(tensor: String, expected: Int, actual: Int)
    /// The tensor bytes do not hash to the checksum the sender put in the frame.
    case checksumMismatch(tensor: String, expected: UInt64, actual: UInt64)
    /// Two tensors in one factors frame share a name.
    case duplicateTensor(name: String)
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
        case let .invalidDType(tensor, code):
            return "tensor '\(tensor)' has unknown dtype code \(code) (expected 0=f32, 1=bf16, 2=f16)"
        case let .invalidRank(tensor, rank):
            return "tensor '\(tensor)' has rank \(rank) (allowed 1...\(FactorTensor.maxRank))"
        case let .invalidDimension(tensor, axis):
            return "tensor '\(tensor)' has a zero dimension on axis \(axis)"
        case let .shapeOverflow(tensor):
            return "tensor '\(tensor)' shape is too large to address"
        case let .tensorSizeMismatch(tensor, expected, actual):
            return "tensor '\(tensor)' carries \(actual) bytes, its shape and dtype need \(expected)"
        case let .checksumMismatch(tensor, expected, actual):
            return "tensor '\(tensor)' checksum mismatch: frame says \(hex(expected)), bytes hash to \(hex(actual))"
        case let .duplicateTensor(name):
            return "tensor name '\(name)' appears twice in one factors frame"
        case let .unexpectedFrame(kind, state):
            return "unexpected \(kind) frame while \(state)"
        }
    }

    private func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }
}
