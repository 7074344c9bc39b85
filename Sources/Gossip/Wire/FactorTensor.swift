import SwarmBase

/// One LoRA factor (or any named tensor) of a factors message, with its checksum.
public struct FactorTensor: Hashable, Sendable {
    /// Largest tensor rank accepted.
    public static let maxRank = 8
    /// Byte limit of a tensor name.
    public static let maxNameLength = 255

    public let name: String
    public let dtype: TensorDType
    public let shape: [Int]
    /// Little-endian element bytes, row-major.
    public let data: [UInt8]
    /// XXH64 (seed 0) of `data`.
    public let checksum: UInt64

    /// Builds a tensor, checking the name, shape and that `data` holds exactly shape x dtype bytes.
    public init(name: String, dtype: TensorDType, shape: [Int], data: [UInt8]) throws(FactorsError) {
        try Self.validate(name: name, dtype: dtype, shape: shape, dataCount: data.count)
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.data = data
        self.checksum = XXH64.hash(data)
    }

    /// Convenience for f32 tensors.
    public init(name: String, shape: [Int], floats: [Float]) throws(FactorsError) {
        var bytes = [UInt8](repeating: 0, count: floats.count * 4)
        bytes.withUnsafeMutableBytes { out in
            floats.withUnsafeBytes { out.copyMemory(from: $0) }
        }
        try self.init(name: name, dtype: .f32, shape: shape, data: bytes)
    }

    private init(name: String, dtype: TensorDType, shape: [Int], data: [UInt8], checksum: UInt64) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.data = data
        self.checksum = checksum
    }

    /// Number of elements.
    public var elementCount: Int { shape.reduce(1, *) }

    /// The elements as Float, for f32 tensors; nil for other dtypes.
    public var floats: [Float]? {
        guard dtype == .f32 else { return nil }
        var out = [Float](repeating: 0, count: data.count / 4)
        out.withUnsafeMutableBytes { dst in data.withUnsafeBytes { dst.copyMemory(from: $0) } }
        return out
    }

    static func validate(name: String, dtype: TensorDType, shape: [Int], dataCount: Int) throws(FactorsError) {
        let nameLength = name.utf8.count
        if nameLength == 0 { throw .emptyField(field: "tensor.name") }
        if nameLength > maxNameLength { throw .fieldTooLong(field: "tensor.name", length: nameLength, limit: maxNameLength) }
        if shape.isEmpty || shape.count > maxRank { throw .invalidRank(tensor: name, rank: shape.count) }
        var bytes = dtype.size
        for (axis, dim) in shape.enumerated() {
            if dim <= 0 { throw .invalidDimension(tensor: name, axis: axis) }
            if dim > Int(UInt32.max) { throw .shapeOverflow(tensor: name) }
            let (product, overflow) = bytes.multipliedReportingOverflow(by: dim)
            if overflow { throw .shapeOverflow(tensor: name) }
            bytes = product
        }
        if bytes != dataCount { throw .tensorSizeMismatch(tensor: name, expected: bytes, actual: dataCount) }
    }

    // Layout: name (u16 len, utf8) | dtype u8 | rank u8 | dims u32 x rank | byte count u64
    //         | checksum u64 | bytes.
    func encode(into writer: inout ByteWriter) {
        writer.string(name, length: UInt16.self)
        writer.u8(dtype.rawValue)
        writer.u8(UInt8(shape.count))
        for dim in shape { writer.u32(UInt32(dim)) }
        writer.u64(UInt64(data.count))
        writer.u64(checksum)
        writer.raw(data)
    }

    var encodedSize: Int { 2 + name.utf8.count + 2 + 4 * shape.count + 16 + data.count }

    static func decode(_ reader: inout ByteReader<[UInt8]>) throws(FactorsError) -> FactorTensor {
        let name = try FactorsError.reading { () throws(ByteReadError) in
            try reader.string("tensor.name", length: UInt16.self, limit: maxNameLength, allowEmpty: false)
        }
        let code = try FactorsError.reading { () throws(ByteReadError) in try reader.u8("tensor.dtype") }
        guard let dtype = TensorDType(rawValue: code) else { throw .invalidDType(tensor: name, code: code) }
        let rank = Int(try FactorsError.reading { () throws(ByteReadError) in try reader.u8("tensor.rank") })
        if rank == 0 || rank > maxRank { throw .invalidRank(tensor: name, rank: rank) }
        var shape = [Int]()
        shape.reserveCapacity(rank)
        for _ in 0..<rank { shape.append(Int(try FactorsError.reading { () throws(ByteReadError) in try reader.u32("tensor.shape") })) }
        let declared = try FactorsError.reading { () throws(ByteReadError) in try reader.u64("tensor.byteCount") }
        let checksum = try FactorsError.reading { () throws(ByteReadError) in try reader.u64("tensor.checksum") }
        // The declared count is bounded by what the message actually holds before anything is allocated.
        guard declared <= UInt64(reader.remaining) else {
            throw .truncated(field: "tensor.data", offset: reader.offset,
                             needed: declared > UInt64(Int.max) ? Int.max : Int(declared), available: reader.remaining)
        }
        try validate(name: name, dtype: dtype, shape: shape, dataCount: Int(declared))
        let data = Array(try FactorsError.reading { () throws(ByteReadError) in try reader.bytes(Int(declared), "tensor.data") })
        let actual = XXH64.hash(data)
        if actual != checksum { throw .checksumMismatch(tensor: name, expected: checksum, actual: actual) }
        return FactorTensor(name: name, dtype: dtype, shape: shape, data: data, checksum: checksum)
    }
}
