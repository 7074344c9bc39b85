import Quant
import SwarmBase

/// A parsed GGUF header: metadata and tensor directory. Tensor bytes stay where they are (in the
/// mapped file); `dataOffset` says where their section starts.
public struct GGUFFile: Sendable {
    public static let magic: UInt32 = 0x4655_4747  // "GGUF" read as little-endian u32
    public static let defaultAlignment = 32
    /// GGML tensors have at most four dimensions.
    public static let maxDimensions = 4

    public let version: UInt32
    public let metadata: GGUFMetadata
    public let tensors: [GGUFTensorInfo]
    public let alignment: Int
    /// Absolute byte offset of the tensor data section.
    public let dataOffset: Int
    private let index: [String: Int]

    public func tensor(named name: String) -> GGUFTensorInfo? {
        index[name].map { tensors[$0] }
    }

    /// Parses a whole GGUF file held in memory. Never traps or allocates in proportion to a count
    /// the file claims before checking it against the bytes that are actually there.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(GGUFError) -> GGUFFile {
        var cur = Reader(ByteReader(bytes))
        let magic = try cur.integer(UInt32.self, "magic")
        guard magic == GGUFFile.magic else { throw GGUFError.badMagic(found: magic) }
        let version = try cur.integer(UInt32.self, "version")
        guard version == 2 || version == 3 else { throw GGUFError.unsupportedVersion(version) }

        let tensorCountOffset = cur.offset
        let tensorCount = try cur.integer(UInt64.self, "tensor count")
        let kvCountOffset = cur.offset
        let kvCount = try cur.integer(UInt64.self, "metadata count")
        // Each metadata entry needs at least a key length (8), a type (4) and one byte of value.
        let kvLimit = UInt64(cur.remaining / 13)
        guard kvCount <= kvLimit else {
            throw GGUFError.tooLarge(field: "metadata count", offset: kvCountOffset, value: kvCount, limit: kvLimit)
        }

        var metadata = GGUFMetadata()
        for _ in 0..<Int(kvCount) {
            let key = try cur.name("metadata key")
            let typeOffset = cur.offset
            let rawType = try cur.integer(UInt32.self, "type of \(key)")
            guard let type = GGUFValueType(rawValue: rawType) else {
                throw GGUFError.unknownValueType(key: key, offset: typeOffset, type: rawType)
            }
            let value = try readValue(type, key: key, cursor: &cur, depth: 0)
            try metadata.insertNew(key, value)
        }

        var alignment = defaultAlignment
        if let a = metadata["general.alignment"] {
            guard let ai = a.intValue, ai > 0, ai & (ai - 1) == 0, ai <= 1 << 20 else {
                throw GGUFError.badAlignment(a.intValue.map(String.init) ?? "a \(a.typeDescription)")
            }
            alignment = ai
        }

        // Each tensor entry needs a name length (8), n_dims (4), one dim (8), type (4), offset (8).
        let tensorLimit = UInt64(cur.remaining / 32)
        guard tensorCount <= tensorLimit else {
            throw GGUFError.tooLarge(field: "tensor count", offset: tensorCountOffset, value: tensorCount, limit: tensorLimit)
        }
        var infos: [GGUFTensorInfo] = []
        infos.reserveCapacity(Int(tensorCount))
        var rawOffsets: [UInt64] = []
        var index: [String: Int] = [:]
        for _ in 0..<Int(tensorCount) {
            let entryOffset = cur.offset
            let name = try cur.name("tensor name")
            let nDims = try cur.integer(UInt32.self, "n_dims of \(name)")
            guard nDims >= 1, nDims <= UInt32(maxDimensions) else {
                throw GGUFError.badTensorShape(tensor: name, offset: entryOffset, reason: "\(nDims) dimensions (1 to \(maxDimensions) allowed)")
            }
            var shape: [Int] = []
            var elements = 1
            for d in 0..<Int(nDims) {
                let dim = try cur.integer(UInt64.self, "dimension \(d) of \(name)")
                guard dim >= 1, dim <= UInt64(Int32.max) else {
                    throw GGUFError.badTensorShape(tensor: name, offset: entryOffset, reason: "dimension \(d) is \(dim)")
                }
                let (product, overflow) = elements.multipliedReportingOverflow(by: Int(dim))
                guard !overflow, product <= 1 << 40 else {
                    throw GGUFError.badTensorShape(tensor: name, offset: entryOffset, reason: "element count overflows")
                }
                elements = product
                shape.append(Int(dim))
            }
            let typeOffset = cur.offset
            let rawType = try cur.integer(UInt32.self, "type of \(name)")
            guard let type = GGMLType(rawValue: rawType) else {
                throw GGUFError.unknownTensorType(tensor: name, offset: typeOffset, type: rawType)
            }
            guard shape[0] % type.blockSize == 0, let byteCount = type.byteCount(elements: elements) else {
                throw GGUFError.badTensorShape(tensor: name, offset: entryOffset,
                                      reason: "row length \(shape[0]) is not a multiple of the \(type) block size \(type.blockSize)")
            }
            let dataOffset = try cur.integer(UInt64.self, "data offset of \(name)")
            guard index[name] == nil else { throw GGUFError.duplicateTensor(name) }
            index[name] = infos.count
            rawOffsets.append(dataOffset)
            infos.append(GGUFTensorInfo(name: name, shape: shape, type: type, offset: 0, byteCount: byteCount))
        }

        let headerEnd = cur.offset
        let dataStart = (headerEnd + alignment - 1) / alignment * alignment
        let dataSize = max(0, bytes.count - dataStart)
        for i in infos.indices {
            let raw = rawOffsets[i]
            let info = infos[i]
            guard raw % UInt64(alignment) == 0 else {
                throw GGUFError.badTensorOffset(tensor: info.name, offset: raw, reason: "not a multiple of the alignment \(alignment)")
            }
            guard raw <= UInt64(dataSize), UInt64(info.byteCount) <= UInt64(dataSize) - raw else {
                throw GGUFError.badTensorOffset(tensor: info.name, offset: raw,
                                       reason: "\(info.byteCount) bytes from there run past the end of the file (data section holds \(dataSize) bytes)")
            }
            infos[i] = GGUFTensorInfo(name: info.name, shape: info.shape, type: info.type, offset: Int(raw), byteCount: info.byteCount)
        }
        return GGUFFile(version: version, metadata: metadata, tensors: infos, alignment: alignment,
                        dataOffset: dataStart, index: index)
    }

    private static func readValue(_ type: GGUFValueType, key: String, cursor cur: inout Reader,
                                  depth: Int) throws(GGUFError) -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try cur.integer(UInt8.self, key))
        case .int8: return .int8(try cur.integer(Int8.self, key))
        case .uint16: return .uint16(try cur.integer(UInt16.self, key))
        case .int16: return .int16(try cur.integer(Int16.self, key))
        case .uint32: return .uint32(try cur.integer(UInt32.self, key))
        case .int32: return .int32(try cur.integer(Int32.self, key))
        case .uint64: return .uint64(try cur.integer(UInt64.self, key))
        case .int64: return .int64(try cur.integer(Int64.self, key))
        case .float32: return .float32(try cur.float32(key))
        case .float64: return .float64(try cur.float64(key))
        case .bool:
            let at = cur.offset
            let b = try cur.integer(UInt8.self, key)
            guard b <= 1 else { throw GGUFError.tooLarge(field: "bool \(key)", offset: at, value: UInt64(b), limit: 1) }
            return .bool(b == 1)
        case .string:
            return .string(try cur.string(key, limit: 64 << 20))
        case .array:
            let typeOffset = cur.offset
            let rawElement = try cur.integer(UInt32.self, "element type of \(key)")
            guard let element = GGUFValueType(rawValue: rawElement) else {
                throw GGUFError.unknownValueType(key: key, offset: typeOffset, type: rawElement)
            }
            guard depth < 4 || element != .array else {
                throw GGUFError.tooLarge(field: "array nesting of \(key)", offset: typeOffset, value: UInt64(depth + 1), limit: 4)
            }
            let countOffset = cur.offset
            let count = try cur.integer(UInt64.self, "element count of \(key)")
            let minSize = element.scalarSize ?? (element == .string ? 8 : 12)
            let limit = UInt64(cur.remaining / minSize)
            guard count <= limit else {
                throw GGUFError.tooLarge(field: "element count of \(key)", offset: countOffset, value: count, limit: limit)
            }
            var items: [GGUFValue] = []
            items.reserveCapacity(Int(count))
            for _ in 0..<Int(count) {
                items.append(try readValue(element, key: key, cursor: &cur, depth: depth + 1))
            }
            return .array(element, items)
        }
    }

    /// The byte reader with every failure already in GGUF terms, so parsing throws one typed error
    /// (`GGUFError`) end to end and the compiler proves nothing else escapes.
    private struct Reader {
        var bytes: ByteReader<UnsafeRawBufferPointer>

        init(_ bytes: ByteReader<UnsafeRawBufferPointer>) { self.bytes = bytes }

        var offset: Int { bytes.offset }
        var remaining: Int { bytes.remaining }

        mutating func integer<T: FixedWidthInteger>(_ type: T.Type, _ field: String) throws(GGUFError) -> T {
            do { return try bytes.integer(type, field) } catch { throw GGUFError(error) }
        }

        mutating func float32(_ field: String) throws(GGUFError) -> Float {
            do { return try bytes.float32(field) } catch { throw GGUFError(error) }
        }

        mutating func float64(_ field: String) throws(GGUFError) -> Double {
            do { return try bytes.float64(field) } catch { throw GGUFError(error) }
        }

        mutating func string(_ field: String, limit: Int) throws(GGUFError) -> String {
            do { return try bytes.string(field, length: UInt64.self, limit: limit, utf8: .repairing) } catch { throw GGUFError(error) }
        }

        /// A key or tensor name: a string that may not be empty.
        mutating func name(_ field: String) throws(GGUFError) -> String {
            let start = offset
            let text = try string(field, limit: 65_536)
            guard !text.isEmpty else { throw .emptyName(field: field, offset: start) }
            return text
        }
    }
}
