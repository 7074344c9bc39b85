#if canImport(Glibc)
import Glibc
#endif
import SwarmBase

/// Where one tensor lives in a safetensors file.
public struct SafetensorsTensorInfo: Sendable, Hashable {
    public let name: String
    public let dtype: SafetensorsDType
    /// Dimensions, outermost first (row-major); empty for a scalar.
    public let shape: [Int]
    /// Byte range inside the data buffer (which starts right after the header).
    public let dataRange: Range<Int>

    /// The number of elements (the product of `shape`; 1 for a scalar).
    public var elementCount: Int { dataRange.count / dtype.size }
}

/// Bounds the reader enforces before allocating anything the file asks for.
public struct SafetensorsLimits: Sendable, Hashable {
    /// The largest JSON header accepted (the reference implementation uses 100 MB).
    public var maxHeaderBytes: Int
    /// The largest file accepted; the whole file is read into memory.
    public var maxFileBytes: Int

    public init(maxHeaderBytes: Int = 100_000_000, maxFileBytes: Int = 4 << 30) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxFileBytes = maxFileBytes
    }
}

/// A validated safetensors file held in memory: the header (tensor names, dtypes, shapes,
/// offsets and the free-form `__metadata__`) and the data bytes.
///
/// Construction checks the whole layout, so a value of this type always describes tensors that
/// tile the data buffer exactly, with sizes that match their shapes.
public struct SafetensorsFile: Sendable {
    /// The file the bytes came from (or a label for in-memory input), used in errors.
    public let path: String
    /// The `__metadata__` map (string to string); empty when absent.
    public let metadata: [String: String]
    /// All tensors, sorted by name.
    public let tensors: [SafetensorsTensorInfo]

    private let bytes: [UInt8]
    private let dataStart: Int
    private let index: [String: Int]

    /// Reads and validates the file at `path`.
    public static func read(path: String, limits: SafetensorsLimits = SafetensorsLimits()) throws(SafetensorsError) -> SafetensorsFile {
        // The size is checked here too, so an oversized file is refused with its size.
        var info = stat()
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, Int(info.st_size) > limits.maxFileBytes {
            throw .fileTooLarge(path: path, size: Int(info.st_size), limit: limits.maxFileBytes)
        }
        let bytes: [UInt8]
        do {
            bytes = try FileIO.readAll(path, limit: limits.maxFileBytes)
        } catch {
            throw .unreadable(path: path, reason: error.reason)
        }
        return try SafetensorsFile(bytes: bytes, path: path, limits: limits)
    }

    /// Validates `bytes` as a safetensors file; `path` only labels errors.
    public init(bytes: [UInt8], path: String, limits: SafetensorsLimits = SafetensorsLimits()) throws(SafetensorsError) {
        guard bytes.count <= limits.maxFileBytes else {
            throw .fileTooLarge(path: path, size: bytes.count, limit: limits.maxFileBytes)
        }
        guard bytes.count >= 8 else { throw .truncated(path: path, size: bytes.count) }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard headerLength <= UInt64(limits.maxHeaderBytes), headerLength <= UInt64(bytes.count - 8) else {
            throw .headerLengthInvalid(path: path, headerLength: headerLength, fileSize: bytes.count, limit: limits.maxHeaderBytes)
        }
        let dataStart = 8 + Int(headerLength)
        let header = Array(bytes[8..<dataStart])
        let parsed = try Self.parseHeader(header, path: path, bufferSize: bytes.count - dataStart)
        self.path = path
        self.metadata = parsed.metadata
        self.tensors = parsed.tensors
        self.bytes = bytes
        self.dataStart = dataStart
        var index: [String: Int] = [:]
        for (i, info) in parsed.tensors.enumerated() { index[info.name] = i }
        self.index = index
    }

    /// The tensor called `name`, if present.
    public func tensor(named name: String) -> SafetensorsTensorInfo? {
        index[name].map { tensors[$0] }
    }

    /// The raw little-endian bytes of a tensor.
    public func rawBytes(of info: SafetensorsTensorInfo) -> ArraySlice<UInt8> {
        bytes[(dataStart + info.dataRange.lowerBound)..<(dataStart + info.dataRange.upperBound)]
    }

    /// The tensor called `name` converted to Float (from F32, F16, BF16 or F64), row-major.
    public func floats(_ name: String) throws(SafetensorsError) -> [Float] {
        guard let info = tensor(named: name) else { throw .missingTensor(path: path, tensor: name) }
        return try floats(of: info)
    }

    /// The tensor `info` converted to Float (from F32, F16, BF16 or F64), row-major.
    public func floats(of info: SafetensorsTensorInfo) throws(SafetensorsError) -> [Float] {
        let count = info.elementCount
        let start = dataStart + info.dataRange.lowerBound
        switch info.dtype {
        case .f32:
            return bytes.withUnsafeBytes { raw in
                (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * $0, as: UInt32.self))) }
            }
        case .f16:
            return bytes.withUnsafeBytes { raw in
                (0..<count).map { HalfConversion.float(fromF16: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: start + 2 * $0, as: UInt16.self))) }
            }
        case .bf16:
            return bytes.withUnsafeBytes { raw in
                (0..<count).map { HalfConversion.float(fromBF16: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: start + 2 * $0, as: UInt16.self))) }
            }
        case .f64:
            return bytes.withUnsafeBytes { raw in
                (0..<count).map { Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: start + 8 * $0, as: UInt64.self)))) }
            }
        default:
            throw .unsupportedConversion(path: path, tensor: info.name, dtype: info.dtype.rawValue)
        }
    }

    // MARK: - Header validation

    private static let metadataKey = "__metadata__"

    private static func parseHeader(_ header: [UInt8], path: String, bufferSize: Int) throws(SafetensorsError)
        -> (metadata: [String: String], tensors: [SafetensorsTensorInfo])
    {
        guard header.first == UInt8(ascii: "{") else {
            throw .invalidJSON(path: path, reason: "the header must start with '{'")
        }
        let object: [String: JSONValue]
        do {
            guard let parsed = try JSONValue.parse(header).objectValue else {
                throw SafetensorsError.invalidJSON(path: path, reason: "the header is not a JSON object")
            }
            object = parsed
        } catch let error as SafetensorsError {
            throw error
        } catch let error as JSONError {
            // The strict parser refuses repeated keys; at the top level they are tensor names.
            if let duplicate = error.duplicateKey, duplicate.depth == 1 {
                throw .duplicateName(path: path, tensor: duplicate.key)
            }
            throw .invalidJSON(path: path, reason: error.description)
        } catch {
            throw .invalidJSON(path: path, reason: "\(error)")
        }

        var metadata: [String: String] = [:]
        var tensors: [SafetensorsTensorInfo] = []
        for (name, value) in object {
            if name == metadataKey {
                metadata = try parseMetadata(value, path: path)
            } else {
                tensors.append(try parseTensor(name: name, value, path: path, bufferSize: bufferSize))
            }
        }
        try checkCoverage(tensors, path: path, bufferSize: bufferSize)
        tensors.sort { $0.name < $1.name }
        return (metadata, tensors)
    }

    private static func parseMetadata(_ value: JSONValue, path: String) throws(SafetensorsError) -> [String: String] {
        guard let object = value.objectValue else {
            throw .invalidField(path: path, tensor: metadataKey, field: metadataKey, reason: "must be an object, found \(value.typeName)")
        }
        var metadata: [String: String] = [:]
        for (key, entry) in object {
            guard let string = entry.stringValue else {
                throw .invalidField(path: path, tensor: metadataKey, field: key, reason: "must be a string, found \(entry.typeName)")
            }
            metadata[key] = string
        }
        return metadata
    }

    private static func parseTensor(name: String, _ value: JSONValue, path: String, bufferSize: Int) throws(SafetensorsError)
        -> SafetensorsTensorInfo
    {
        func invalid(_ field: String, _ reason: String) -> SafetensorsError {
            .invalidField(path: path, tensor: name, field: field, reason: reason)
        }
        guard let entry = value.objectValue else {
            throw invalid("(entry)", "must be an object with dtype, shape and data_offsets, found \(value.typeName)")
        }
        guard let dtypeValue = entry["dtype"] else { throw invalid("dtype", "is missing") }
        guard let dtypeName = dtypeValue.stringValue else {
            throw invalid("dtype", "must be a string, found \(dtypeValue.typeName)")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw .unknownDType(path: path, tensor: name, dtype: dtypeName)
        }
        guard let shapeValue = entry["shape"] else { throw invalid("shape", "is missing") }
        guard let shapeArray = shapeValue.arrayValue else {
            throw invalid("shape", "must be an array of integers, found \(shapeValue.typeName)")
        }
        var shape: [Int] = []
        var elements = 1
        var overflow = false
        for dim in shapeArray {
            guard let n = dim.intValue, n >= 0 else {
                throw invalid("shape", "must contain non-negative integers, found \(dim.typeName)")
            }
            shape.append(n)
            let (product, o) = elements.multipliedReportingOverflow(by: n)
            elements = product
            overflow = overflow || o
        }
        guard let offsetsValue = entry["data_offsets"] else { throw invalid("data_offsets", "is missing") }
        guard let offsets = offsetsValue.arrayValue, offsets.count == 2,
              let begin = offsets[0].intValue, let end = offsets[1].intValue,
              begin >= 0, end >= 0
        else {
            throw invalid("data_offsets", "must be an array of two non-negative integers [begin, end]")
        }
        guard begin <= end, end <= bufferSize else {
            throw .offsetOutOfRange(path: path, tensor: name, begin: begin, end: end, bufferSize: bufferSize)
        }
        let (expected, o) = elements.multipliedReportingOverflow(by: dtype.size)
        guard !overflow, !o, expected == end - begin else {
            throw .shapeMismatch(path: path, tensor: name, shape: shape, dtype: dtype.rawValue,
                                 expectedBytes: overflow || o ? Int.max : expected, actualBytes: end - begin)
        }
        return SafetensorsTensorInfo(name: name, dtype: dtype, shape: shape, dataRange: begin..<end)
    }

    /// The tensors must tile [0, bufferSize) exactly: no overlap, no gap, no trailing bytes.
    private static func checkCoverage(_ tensors: [SafetensorsTensorInfo], path: String, bufferSize: Int) throws(SafetensorsError) {
        let ordered = tensors.sorted {
            ($0.dataRange.lowerBound, $0.dataRange.upperBound, $0.name) < ($1.dataRange.lowerBound, $1.dataRange.upperBound, $1.name)
        }
        var covered = 0
        var previous: String?
        for info in ordered {
            if info.dataRange.lowerBound < covered, let previous {
                throw .overlappingTensors(path: path, first: previous, second: info.name)
            }
            if info.dataRange.lowerBound > covered {
                throw .nonContiguous(path: path, reason: "bytes \(covered)..<\(info.dataRange.lowerBound) before tensor '\(info.name)' belong to no tensor")
            }
            covered = info.dataRange.upperBound
            previous = info.name
        }
        if covered != bufferSize {
            throw .nonContiguous(path: path, reason: "\(bufferSize - covered) trailing bytes after the last tensor belong to no tensor")
        }
    }
}
