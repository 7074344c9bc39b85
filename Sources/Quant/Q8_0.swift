/// ggml Q8_0: 32 weights per 34-byte block, symmetric 8-bit.
///
/// Block layout (little-endian):
/// ```
/// offset 0   fp16 d          scale
/// offset 2   i8   qs[32]     weight i
/// ```
/// Weight i decodes to `q_i * d`.
public enum Q8_0 {
    public static let blockSize = 32
    public static let typeSize = 34

    /// Decodes one block (`typeSize` bytes) into `blockSize` floats.
    static func dequantizeBlock(_ block: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<Float>) {
        let d = FP16.decode(UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 0, as: UInt16.self)))
        for i in 0..<32 {
            out[i] = d * Float(Int8(bitPattern: block[2 + i]))
        }
    }

    /// Encodes `blockSize` finite floats with ggml's reference rule: d = max|x| / 127,
    /// code = roundf(x / d) (half away from zero). Returns false when d does not fit in fp16.
    static func quantizeBlock(_ x: UnsafeBufferPointer<Float>, into block: UnsafeMutableRawBufferPointer) -> Bool {
        var absMax: Float = 0
        for v in x { absMax = max(absMax, abs(v)) }
        let d = absMax / 127
        let inverse: Float = d == 0 ? 0 : 1 / d
        let dBits = FP16.encode(d)
        block.storeBytes(of: dBits.littleEndian, toByteOffset: 0, as: UInt16.self)
        for i in 0..<32 {
            let q = roundedInt(x[i] * inverse, clampedTo: -127...127)
            block[2 + i] = UInt8(bitPattern: Int8(q))
        }
        return FP16.decode(dBits).isFinite
    }
}
