import SwarmBase

/// Everything that can be wrong with a factors message: a field that does not read, or a tensor
/// whose name, shape, size or checksum is not acceptable. Every case names the field or tensor.
public enum FactorsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A field runs past the end of the message.
    case truncated(field: String, offset: Int, needed: Int, available: Int)
    /// Bytes remain after the last tensor.
    case trailingBytes(count: Int)
    /// A tensor name is not valid UTF-8.
    case invalidUTF8(field: String, offset: Int)
    /// A name or the tensor list exceeds its limit.
    case fieldTooLong(field: String, length: Int, limit: Int)
    /// A tensor name is empty.
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
    /// The tensor bytes do not hash to the checksum the sender put in the message.
    case checksumMismatch(tensor: String, expected: UInt64, actual: UInt64)
    /// Two tensors in one message share a name.
    case duplicateTensor(name: String)

    /// The factors error for a field that could not be read. A name over its limit is
    /// `fieldTooLong`, an empty one `emptyField`.
    public init(_ error: ByteReadError) {
        switch error {
        case let .truncated(field, offset, needed, available):
            self = .truncated(field: field, offset: offset, needed: needed, available: available)
        case let .limitExceeded(field, _, value, limit):
            self = value == 0 ? .emptyField(field: field)
                : .fieldTooLong(field: field, length: Int(clamping: value), limit: Int(clamping: limit))
        case let .invalidUTF8(field, offset):
            self = .invalidUTF8(field: field, offset: offset)
        case let .trailingBytes(_, count):
            self = .trailingBytes(count: count)
        }
    }

    /// Runs one read, turning a `ByteReadError` into the matching factors error.
    @inline(__always)
    static func reading<T>(_ body: () throws(ByteReadError) -> T) throws(FactorsError) -> T {
        do { return try body() } catch { throw FactorsError(error) }
    }

    public var description: String {
        switch self {
        case let .truncated(field, offset, needed, available):
            return "factors message truncated at '\(field)' (offset \(offset)): needs \(needed) bytes, \(available) left"
        case let .trailingBytes(count):
            return "factors message has \(count) unexpected trailing bytes"
        case let .invalidUTF8(field, offset):
            return "field '\(field)' at offset \(offset) is not valid UTF-8"
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
            return "tensor '\(tensor)' checksum mismatch: message says \(hex(expected)), bytes hash to \(hex(actual))"
        case let .duplicateTensor(name):
            return "tensor name '\(name)' appears twice in one factors message"
        }
    }

    private func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }
}
