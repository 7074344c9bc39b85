/// Why a safetensors file could not be read or written. Every case names the file and says
/// what is wrong in terms a user can act on (which tensor, which offset, which limit).
public enum SafetensorsError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be opened, sized or read.
    case unreadable(path: String, reason: String)
    /// Writing (or renaming into place) failed; nothing was left at the destination.
    case writeFailed(path: String, reason: String)
    /// The file is larger than the reader's limit.
    case fileTooLarge(path: String, size: Int, limit: Int)
    /// Shorter than the 8-byte header length prefix.
    case truncated(path: String, size: Int)
    /// The header length prefix points past the end of the file or exceeds the limit.
    case headerLengthInvalid(path: String, headerLength: UInt64, fileSize: Int, limit: Int)
    /// The header is not a JSON object (or not UTF-8 JSON at all).
    case invalidJSON(path: String, reason: String)
    /// A field of the header has the wrong type or value.
    case invalidField(path: String, tensor: String, field: String, reason: String)
    /// A tensor's dtype is not one of the safetensors dtypes.
    case unknownDType(path: String, tensor: String, dtype: String)
    /// The same tensor name appears twice in the header.
    case duplicateName(path: String, tensor: String)
    /// The byte range does not match shape x element size.
    case shapeMismatch(path: String, tensor: String, shape: [Int], dtype: String, expectedBytes: Int, actualBytes: Int)
    /// A byte range ends past the data buffer or starts after it ends.
    case offsetOutOfRange(path: String, tensor: String, begin: Int, end: Int, bufferSize: Int)
    /// Two tensors share bytes.
    case overlappingTensors(path: String, first: String, second: String)
    /// The tensors do not tile the data buffer exactly (a gap, or trailing bytes).
    case nonContiguous(path: String, reason: String)
    /// A tensor was asked for as floats but its dtype is not a floating-point one this reader converts.
    case unsupportedConversion(path: String, tensor: String, dtype: String)
    /// A tensor was asked for by a name that the file does not contain.
    case missingTensor(path: String, tensor: String)
    /// The writer was given a tensor whose value count does not match its shape, or an invalid name.
    case invalidTensor(tensor: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "\(path): cannot read safetensors file: \(reason)"
        case let .writeFailed(path, reason):
            return "\(path): cannot write safetensors file: \(reason)"
        case let .fileTooLarge(path, size, limit):
            return "\(path): file is \(size) bytes, over the reader's limit of \(limit) bytes"
        case let .truncated(path, size):
            return "\(path): file is only \(size) bytes; a safetensors file starts with an 8-byte header length"
        case let .headerLengthInvalid(path, headerLength, fileSize, limit):
            return "\(path): header length \(headerLength) is invalid for a \(fileSize)-byte file (limit \(limit) bytes); the file is truncated or not safetensors"
        case let .invalidJSON(path, reason):
            return "\(path): header is not valid JSON: \(reason)"
        case let .invalidField(path, tensor, field, reason):
            return "\(path): tensor '\(tensor)': field '\(field)' \(reason)"
        case let .unknownDType(path, tensor, dtype):
            return "\(path): tensor '\(tensor)' has unknown dtype '\(dtype)'"
        case let .duplicateName(path, tensor):
            return "\(path): tensor name '\(tensor)' appears more than once in the header"
        case let .shapeMismatch(path, tensor, shape, dtype, expectedBytes, actualBytes):
            return "\(path): tensor '\(tensor)' of shape \(shape) and dtype \(dtype) needs \(expectedBytes) bytes but its data_offsets span \(actualBytes)"
        case let .offsetOutOfRange(path, tensor, begin, end, bufferSize):
            return "\(path): tensor '\(tensor)' data_offsets [\(begin), \(end)] fall outside the \(bufferSize)-byte data buffer"
        case let .overlappingTensors(path, first, second):
            return "\(path): tensors '\(first)' and '\(second)' overlap in the data buffer"
        case let .nonContiguous(path, reason):
            return "\(path): tensors do not cover the data buffer contiguously: \(reason)"
        case let .unsupportedConversion(path, tensor, dtype):
            return "\(path): tensor '\(tensor)' has dtype \(dtype), which cannot be read as floats (F32, F16, BF16, F64 can)"
        case let .missingTensor(path, tensor):
            return "\(path): no tensor named '\(tensor)'"
        case let .invalidTensor(tensor, reason):
            return "tensor '\(tensor)': \(reason)"
        }
    }
}
