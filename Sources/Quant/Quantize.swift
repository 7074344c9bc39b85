/// Encoding of Float values into every supported format.
///
/// F16 and BF16 round to nearest-even; Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 follow ggml's reference
/// quantizers bit for bit; the K formats (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K) use simple one-pass encoders
/// (`AffineSubBlockEncoder`, `Q3_K.quantizeBlock`, `Q6_K.quantizeBlock`) whose output any ggml
/// reader decodes; NF4 is described in `NF4`.
public enum Quantize {
    /// Encodes `src` as `type` into `dst`, which must hold exactly `type.byteCount(elements: src.count)`
    /// bytes. Block formats and NF4 reject NaN and infinity; F32, F16 and BF16 carry them.
    /// For NF4, `src` is a whole tensor.
    public static func row(_ type: GGMLType, from src: UnsafeBufferPointer<Float>, into dst: UnsafeMutableRawBufferPointer) throws(QuantError) {
        let expected = try type.requiredByteCount(elements: src.count)
        guard dst.count == expected else {
            throw .byteCountMismatch(type: type, elements: src.count, expected: expected, actual: dst.count)
        }
        switch type {
        case .f32:
            for i in 0..<src.count { dst.storeBytes(of: (src[i].bitPattern).littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
        case .f16:
            for i in 0..<src.count { dst.storeBytes(of: (FP16.encode(src[i])).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
        case .bf16:
            for i in 0..<src.count { dst.storeBytes(of: (BF16.encode(src[i])).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
        case .q4_0:
            try forEachBlock(src, dst, type, encode: Q4_0.quantizeBlock)
        case .q4_1:
            try forEachBlock(src, dst, type, encode: Q4_1.quantizeBlock)
        case .q5_0:
            try forEachBlock(src, dst, type, encode: Q5_0.quantizeBlock)
        case .q5_1:
            try forEachBlock(src, dst, type, encode: Q5_1.quantizeBlock)
        case .q8_0:
            try forEachBlock(src, dst, type, encode: Q8_0.quantizeBlock)
        case .q2_K:
            try forEachBlock(src, dst, type, encode: Q2_K.quantizeBlock)
        case .q3_K:
            try forEachBlock(src, dst, type, encode: Q3_K.quantizeBlock)
        case .q4_K:
            try forEachBlock(src, dst, type, encode: Q4_K.quantizeBlock)
        case .q5_K:
            try forEachBlock(src, dst, type, encode: Q5_K.quantizeBlock)
        case .q6_K:
            try forEachBlock(src, dst, type, encode: Q6_K.quantizeBlock)
        case .nf4:
            try NF4.quantize(src, into: dst)
        }
    }

    /// Encodes `values` as `type` into a new byte array.
    public static func row(_ type: GGMLType, _ values: [Float]) throws(QuantError) -> [UInt8] {
        let count = try type.requiredByteCount(elements: values.count)
        var bytes = [UInt8](repeating: 0, count: count)
        // Array's closure APIs rethrow untyped errors, hence the Result round trip.
        try values.withUnsafeBufferPointer { src in
            bytes.withUnsafeMutableBytes { dst in
                Result { () throws(QuantError) in try row(type, from: src, into: dst) }
            }
        }.get()
        return bytes
    }

    /// Runs a one-block encoder over consecutive blocks after rejecting non-finite input; sizes are
    /// already validated. `encode` returns false when the block's scales overflow fp16.
    static func forEachBlock(
        _ src: UnsafeBufferPointer<Float>, _ dst: UnsafeMutableRawBufferPointer, _ type: GGMLType,
        encode: (UnsafeBufferPointer<Float>, UnsafeMutableRawBufferPointer) -> Bool
    ) throws(QuantError) {
        for (i, v) in src.enumerated() where !v.isFinite {
            throw .nonFiniteValue(type: type, index: i, value: v)
        }
        let blockSize = type.blockSize, typeSize = type.typeSize
        for b in 0..<src.count / blockSize {
            let values = UnsafeBufferPointer(rebasing: src[blockSize * b..<blockSize * (b + 1)])
            let fits = encode(values, UnsafeMutableRawBufferPointer(rebasing: dst[typeSize * b..<typeSize * (b + 1)]))
            guard fits else {
                throw .blockOutOfRange(type: type, block: b, absMax: values.reduce(0) { max($0, abs($1)) })
            }
        }
    }
}
