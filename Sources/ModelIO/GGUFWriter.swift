import Quant
import SwarmBase

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
        var out = ByteWriter(capacity: 4096 + entries.reduce(0) { $0 + $1.data.count + alignment })
        func value(_ v: GGUFValue) {
            switch v {
            case let .uint8(x): out.u8(x)
            case let .int8(x): out.integer(x)
            case let .uint16(x): out.u16(x)
            case let .int16(x): out.integer(x)
            case let .uint32(x): out.u32(x)
            case let .int32(x): out.integer(x)
            case let .float32(x): out.float32(x)
            case let .bool(x): out.u8(x ? 1 : 0)
            case let .string(x): out.string(x, length: UInt64.self)
            case let .uint64(x): out.u64(x)
            case let .int64(x): out.integer(x)
            case let .float64(x): out.float64(x)
            case let .array(t, items):
                out.u32(t.rawValue)
                out.u64(UInt64(items.count))
                for item in items { value(item) }
            }
        }
        func pad() { while out.count % alignment != 0 { out.u8(0) } }

        out.u32(GGUFFile.magic)
        out.u32(3)
        out.u64(UInt64(entries.count))
        out.u64(UInt64(metadata.count))
        for key in metadata.keys {
            guard let v = metadata[key] else { continue }
            out.string(key, length: UInt64.self)
            out.u32(v.type.rawValue)
            value(v)
        }
        var offset = 0
        for e in entries {
            out.string(e.name, length: UInt64.self)
            out.u32(UInt32(e.shape.count))
            for d in e.shape { out.u64(UInt64(d)) }
            out.u32(e.type.rawValue)
            out.u64(UInt64(offset))
            offset += (e.data.count + alignment - 1) / alignment * alignment
        }
        pad()
        for e in entries {
            out.raw(e.data)
            pad()
        }
        return out.finish()
    }

    /// Writes the file atomically (temporary file, fsync, rename, fsync of the directory).
    public func write(to path: String) throws(GGUFError) {
        do { try FileIO.writeAtomically(serialize(), to: path) } catch { throw GGUFError(writing: error) }
    }
}
