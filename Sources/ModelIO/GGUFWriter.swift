#if canImport(Glibc)
import Glibc
#endif
import Quant

/// Builds a GGUF v3 file: metadata in insertion order, tensors laid out aligned in the order added.
///
/// Files are written to a temporary name beside the target and renamed into place, so a killed
/// process or a full disk never leaves a half-written model under the real name.
public struct GGUFWriter {
    public var metadata = GGUFMetadata()
    public let alignment: Int
    private var entries: [(name: String, shape: [Int], type: GGMLType, data: [UInt8])] = []

    public init(alignment: Int = GGUFFile.defaultAlignment) {
        self.alignment = alignment
        if alignment != GGUFFile.defaultAlignment {
            metadata.set("general.alignment", .uint32(UInt32(alignment)))
        }
    }

    /// Adds a tensor given its raw encoded bytes (`shape` in ggml order, innermost first).
    public mutating func addTensor(name: String, shape: [Int], type: GGMLType, data: [UInt8]) throws(GGUFError) {
        let elements = shape.reduce(1, *)
        guard !shape.isEmpty, shape.count <= GGUFFile.maxDimensions, shape.allSatisfy({ $0 > 0 }) else {
            throw .badTensorShape(tensor: name, offset: 0, reason: "shape \(shape)")
        }
        guard let expected = type.byteCount(elements: elements), expected == data.count else {
            throw .badTensorShape(tensor: name, offset: 0,
                                  reason: "\(data.count) bytes given for \(elements) elements of \(type)")
        }
        guard !entries.contains(where: { $0.name == name }) else { throw .duplicateTensor(name) }
        entries.append((name, shape, type, data))
    }

    /// Adds an F32 tensor.
    public mutating func addTensor(name: String, shape: [Int], floats: [Float]) throws(GGUFError) {
        var bytes = [UInt8](repeating: 0, count: floats.count * 4)
        bytes.withUnsafeMutableBytes { dst in
            for (i, f) in floats.enumerated() { dst.storeBytes(of: f.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self) }
        }
        try addTensor(name: name, shape: shape, type: .f32, data: bytes)
    }

    /// The whole file as bytes.
    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func str(_ s: String) { let u = Array(s.utf8); u64(UInt64(u.count)); out.append(contentsOf: u) }
        func value(_ v: GGUFValue) {
            switch v {
            case let .uint8(x): out.append(x)
            case let .int8(x): out.append(UInt8(bitPattern: x))
            case let .uint16(x): withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) }
            case let .int16(x): withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) }
            case let .uint32(x): u32(x)
            case let .int32(x): u32(UInt32(bitPattern: x))
            case let .float32(x): u32(x.bitPattern)
            case let .bool(x): out.append(x ? 1 : 0)
            case let .string(x): str(x)
            case let .uint64(x): u64(x)
            case let .int64(x): u64(UInt64(bitPattern: x))
            case let .float64(x): u64(x.bitPattern)
            case let .array(t, items):
                u32(t.rawValue)
                u64(UInt64(items.count))
                for item in items { value(item) }
            }
        }
        func pad() { while out.count % alignment != 0 { out.append(0) } }

        u32(GGUFFile.magic)
        u32(3)
        u64(UInt64(entries.count))
        u64(UInt64(metadata.count))
        for key in metadata.keys {
            guard let v = metadata[key] else { continue }
            str(key)
            u32(v.type.rawValue)
            value(v)
        }
        var offset = 0
        for e in entries {
            str(e.name)
            u32(UInt32(e.shape.count))
            for d in e.shape { u64(UInt64(d)) }
            u32(e.type.rawValue)
            u64(UInt64(offset))
            offset += (e.data.count + alignment - 1) / alignment * alignment
        }
        pad()
        for e in entries {
            out.append(contentsOf: e.data)
            pad()
        }
        return out
    }

    /// Writes the file atomically (temporary file, fsync, rename).
    public func write(to path: String) throws(GGUFError) {
        try AtomicFile.write(serialize(), to: path)
    }
}
