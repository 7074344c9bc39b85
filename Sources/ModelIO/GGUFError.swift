import SwarmBase

/// Everything that can be wrong with a GGUF file, with the field and byte offset at fault.
public indirect enum GGUFError: Error, Equatable, CustomStringConvertible {
    /// A parse error in a named file.
    case inFile(path: String, GGUFError)
    case cannotOpen(path: String, reason: String)
    case truncated(field: String, offset: Int, needed: Int, available: Int)
    case badMagic(found: UInt32)
    case unsupportedVersion(UInt32)
    case tooLarge(field: String, offset: Int, value: UInt64, limit: UInt64)
    /// A text field whose bytes are not UTF-8 (only from readers that refuse rather than repair).
    case invalidUTF8(field: String, offset: Int)
    /// A metadata key or tensor name of length zero (nothing could look it up).
    case emptyName(field: String, offset: Int)
    /// Bytes left over after the last field of a structure that must end there.
    case trailingBytes(offset: Int, count: Int)
    case unknownValueType(key: String, offset: Int, type: UInt32)
    case unknownTensorType(tensor: String, offset: Int, type: UInt32)
    case badTensorShape(tensor: String, offset: Int, reason: String)
    case badTensorOffset(tensor: String, offset: UInt64, reason: String)
    case duplicateKey(String)
    case duplicateTensor(String)
    /// general.alignment is not a power of two in 1...2^20 (the value as the file holds it).
    case badAlignment(String)
    case missingKey(String)
    case wrongValueType(key: String, expected: String, found: String)
    case missingTensor(String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .inFile(path, inner):
            return "\(path): \(inner.description)"
        case let .cannotOpen(path, reason):
            return "cannot open GGUF file \(path): \(reason)"
        case let .truncated(field, offset, needed, available):
            return "GGUF truncated at byte \(offset) reading \(field): needs \(needed) bytes, \(available) left"
        case let .badMagic(found):
            return "not a GGUF file: magic is 0x\(String(found, radix: 16)) at byte 0, expected 0x46554747 (\"GGUF\")"
        case let .unsupportedVersion(v):
            return "GGUF version \(v) at byte 4 is not supported (SwarmTune reads version 2 and 3)"
        case let .tooLarge(field, offset, value, limit):
            return "GGUF field \(field) at byte \(offset) is \(value), above the limit of \(limit): the file is corrupt"
        case let .invalidUTF8(field, offset):
            return "GGUF field \(field) at byte \(offset) is not valid UTF-8"
        case let .emptyName(field, offset):
            return "GGUF \(field) at byte \(offset) is empty"
        case let .trailingBytes(offset, count):
            return "GGUF data has \(count) unexpected bytes after the last field, from byte \(offset)"
        case let .unknownValueType(key, offset, type):
            return "GGUF metadata key \(key) at byte \(offset) has unknown value type \(type)"
        case let .unknownTensorType(tensor, offset, type):
            return "GGUF tensor \(tensor) at byte \(offset) has tensor type \(type), which SwarmTune does not support"
        case let .badTensorShape(tensor, offset, reason):
            return "GGUF tensor \(tensor) at byte \(offset) has a bad shape: \(reason)"
        case let .badTensorOffset(tensor, offset, reason):
            return "GGUF tensor \(tensor) data offset \(offset) is invalid: \(reason)"
        case let .duplicateKey(key):
            return "GGUF metadata key \(key) appears twice"
        case let .duplicateTensor(name):
            return "GGUF tensor \(name) appears twice"
        case let .badAlignment(a):
            return "GGUF general.alignment is \(a); it must be a power of two from 1 to 1048576"
        case let .missingKey(key):
            return "GGUF metadata key \(key) is missing"
        case let .wrongValueType(key, expected, found):
            return "GGUF metadata key \(key) is \(found), expected \(expected)"
        case let .missingTensor(name):
            return "GGUF tensor \(name) is missing"
        case let .writeFailed(path, reason):
            return "cannot write GGUF file \(path): \(reason)"
        }
    }
}

extension GGUFError {
    /// A reader failure in GGUF terms, case for case: a short field is `truncated`, an over-limit
    /// length or count is `tooLarge`, bad text is `invalidUTF8`, leftovers are `trailingBytes`.
    init(_ error: ByteReadError) {
        switch error {
        case let .truncated(field, offset, needed, available):
            self = .truncated(field: field, offset: offset, needed: needed, available: available)
        case let .limitExceeded(field, offset, value, limit):
            self = .tooLarge(field: field, offset: offset, value: value, limit: limit)
        case let .invalidUTF8(field, offset):
            self = .invalidUTF8(field: field, offset: offset)
        case let .trailingBytes(offset, count):
            self = .trailingBytes(offset: offset, count: count)
        }
    }

    /// A file that could not be written, keeping the step that failed and the system's reason.
    init(writing error: FileError) {
        self = .writeFailed(path: error.path, reason: "\(error.operation.rawValue) failed: \(error.reason)"
                                + (error.errno == .noSpace ? FileError.diskFullHint : ""))
    }
}
