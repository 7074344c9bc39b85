/// Why bytes could not be read as the fields a format expects. Every case names the field and
/// the offset (from the start of the reader's bytes), so a domain error built on it can tell a
/// user which file or frame, which field and where.
public enum ByteReadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes remain than the field needs.
    case truncated(field: String, offset: Int, needed: Int, available: Int)
    /// A length or count is larger than the format (or a configured limit) allows.
    case limitExceeded(field: String, offset: Int, value: UInt64, limit: UInt64)
    /// A string field is not valid UTF-8.
    case invalidUTF8(field: String, offset: Int)
    /// Bytes remain after the last field.
    case trailingBytes(offset: Int, count: Int)

    public var description: String {
        switch self {
        case let .truncated(field, offset, needed, available):
            return "\(field) at offset \(offset): needs \(needed) bytes, \(available) left"
        case let .limitExceeded(field, offset, value, limit):
            return "\(field) at offset \(offset): \(value) is over the limit of \(limit)"
        case let .invalidUTF8(field, offset):
            return "\(field) at offset \(offset) is not valid UTF-8"
        case let .trailingBytes(offset, count):
            return "\(count) unexpected bytes after the last field, at offset \(offset)"
        }
    }
}
