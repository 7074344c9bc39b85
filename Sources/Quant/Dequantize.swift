/// Scalar reference decoding of every supported format to Float.
///
/// Written for clarity, not speed: it is the reference the SIMD kernels are checked against.
public enum Dequantize {
    /// Decodes `dst.count` elements of `type` from `src`, which must hold exactly
    /// `type.byteCount(elements: dst.count)` bytes. For NF4, `src` is a whole NF4 tensor of
    /// `dst.count` elements (use `NF4.dequantize(_:elementCount:range:into:)` for part of one).
    public static func row(_ type: GGMLType, from src: UnsafeRawBufferPointer, into dst: UnsafeMutableBufferPointer<Float>) throws(QuantError) {
        let expected = try type.requiredByteCount(elements: dst.count)
        guard src.count == expected else {
            throw .byteCountMismatch(type: type, elements: dst.count, expected: expected, actual: src.count)
        }
        switch type {
        case .f32:
            for i in 0..<dst.count { dst[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
        case .f16:
            for i in 0..<dst.count { dst[i] = FP16.decode(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .bf16:
            for i in 0..<dst.count { dst[i] = BF16.decode(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .q4_0:
            forEachBlock(src, dst, type, decode: Q4_0.dequantizeBlock)
        case .q4_1:
            forEachBlock(src, dst, type, decode: Q4_1.dequantizeBlock)
        case .q5_0:
            forEachBlock(src, dst, type, decode: Q5_0.dequantizeBlock)
        case .q5_1:
            forEachBlock(src, dst, type, decode: Q5_1.dequantizeBlock)
        case .q8_0:
            forEachBlock(src, dst, type, decode: Q8_0.dequantizeBlock)
        case .q2_K:
            forEachBlock(src, dst, type, decode: Q2_K.dequantizeBlock)
        case .q3_K:
            forEachBlock(src, dst, type, decode: Q3_K.dequantizeBlock)
        case .q4_K:
            forEachBlock(src, dst, type, decode: Q4_K.dequantizeBlock)
        case .q5_K:
            forEachBlock(src, dst, type, decode: Q5_K.dequantizeBlock)
        case .q6_K:
            forEachBlock(src, dst, type, decode: Q6_K.dequantizeBlock)
        case .nf4:
            try NF4.dequantize(src, elementCount: dst.count, range: 0..<dst.count, into: dst)
        }
    }

    /// Decodes `elements` elements of `type` from `bytes` into a new array.
    public static func row(_ type: GGMLType, _ bytes: [UInt8], elements: Int) throws(QuantError) -> [Float] {
        let expected = try type.requiredByteCount(elements: elements)
        guard bytes.count == expected else {
            throw .byteCountMismatch(type: type, elements: elements, expected: expected, actual: bytes.count)
        }
        var values = [Float](repeating: 0, count: elements)
        // Array's closure APIs rethrow untyped errors, hence the Result round trip.
        try bytes.withUnsafeBytes { src in
            values.withUnsafeMutableBufferPointer { dst in
                Result { () throws(QuantError) in try row(type, from: src, into: dst) }
            }
        }.get()
        return values
    }

    /// Runs a one-block decoder over consecutive blocks; sizes are already validated.
    static func forEachBlock(
        _ src: UnsafeRawBufferPointer, _ dst: UnsafeMutableBufferPointer<Float>, _ type: GGMLType,
        decode: (UnsafeRawBufferPointer, UnsafeMutableBufferPointer<Float>) -> Void
    ) {
        let blockSize = type.blockSize, typeSize = type.typeSize
        for b in 0..<dst.count / blockSize {
            decode(
                UnsafeRawBufferPointer(rebasing: src[typeSize * b..<typeSize * (b + 1)]),
                UnsafeMutableBufferPointer(rebasing: dst[blockSize * b..<blockSize * (b + 1)]))
        }
    }
}
