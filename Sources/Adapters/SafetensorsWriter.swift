import SwarmBase

/// Builds a safetensors file from Float tensors.
///
/// Tensors are laid out by decreasing element size, then by name, and the header is padded
/// with spaces to a multiple of 8 bytes, as the reference implementation does, so every
/// tensor starts aligned to its element size. The same inputs always give the same bytes.
public struct SafetensorsWriter: Sendable {
    /// Written as `__metadata__` (omitted when empty).
    public var metadata: [String: String]

    private struct Entry: Sendable {
        let name: String
        let dtype: SafetensorsDType
        let shape: [Int]
        let bytes: [UInt8]
    }

    private var entries: [String: Entry] = [:]

    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// Adds a tensor. `values` are row-major and must number the product of `shape`; `dtype`
    /// is F32 (exact), F16 or BF16 (rounded to nearest even).
    public mutating func add(_ name: String, shape: [Int], values: [Float], dtype: SafetensorsDType = .f32) throws(SafetensorsError) {
        guard !name.isEmpty, name != "__metadata__" else {
            throw .invalidTensor(tensor: name, reason: "the name must be non-empty and not '__metadata__'")
        }
        guard entries[name] == nil else { throw .invalidTensor(tensor: name, reason: "added twice") }
        guard dtype.isWritableFromFloat else {
            throw .invalidTensor(tensor: name, reason: "cannot write Float values as \(dtype.rawValue) (F32, F16, BF16 can)")
        }
        var count = 1
        for dim in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard dim >= 0, !overflow else { throw .invalidTensor(tensor: name, reason: "invalid shape \(shape)") }
            count = product
        }
        guard count == values.count else {
            throw .invalidTensor(tensor: name, reason: "shape \(shape) holds \(count) values but \(values.count) were given")
        }
        entries[name] = Entry(name: name, dtype: dtype, shape: shape, bytes: Self.encode(values, as: dtype))
    }

    /// The complete file.
    public func serialize() -> [UInt8] {
        let ordered = entries.values.sorted { ($0.dtype.size, $1.name) > ($1.dtype.size, $0.name) }
        var header: [String: JSONValue] = [:]
        if !metadata.isEmpty { header["__metadata__"] = .object(metadata.mapValues { .string($0) }) }
        var offset = 0
        for entry in ordered {
            header[entry.name] = .object([
                "dtype": .string(entry.dtype.rawValue),
                "shape": .array(entry.shape.map { .integer($0) }),
                "data_offsets": .array([.integer(offset), .integer(offset + entry.bytes.count)]),
            ])
            offset += entry.bytes.count
        }
        var json = JSONValue.object(header).serialized()
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: json)
        for entry in ordered { out.append(contentsOf: entry.bytes) }
        return out
    }

    /// Writes the file atomically (temporary file, fsync, rename).
    public func write(to path: String) throws(SafetensorsError) {
        do {
            try FileIO.writeAtomically(serialize(), to: path)
        } catch {
            throw .writeFailed(path: path, reason: error.reason + (error.errno == .noSpace ? FileError.diskFullHint : ""))
        }
    }

    private static func encode(_ values: [Float], as dtype: SafetensorsDType) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: values.count * dtype.size)
        out.withUnsafeMutableBytes { raw in
            for (i, value) in values.enumerated() {
                switch dtype {
                case .f16:
                    raw.storeBytes(of: HalfConversion.f16(from: value).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
                case .bf16:
                    raw.storeBytes(of: HalfConversion.bf16(from: value).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
                default:
                    raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                }
            }
        }
        return out
    }
}
