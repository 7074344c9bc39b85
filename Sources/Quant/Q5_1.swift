/// ggml Q5_1: 32 weights per 24-byte block, 5-bit with a scale and a minimum.
///
/// Block layout (little-endian):
/// ```
/// offset 0   fp16 d          scale
/// offset 2   fp16 m          minimum
/// offset 4   u32  qh         bit j = bit 4 of weight j's code
/// offset 8   u8   qs[16]     byte j: low nibble = low 4 bits of weight j,
///                                    high nibble = low 4 bits of weight j + 16
/// ```
/// Weight i decodes to `d * q_i + m` with the 5-bit code q_i in 0...31.
public enum Q5_1 {
    public static let blockSize = 32
    public static let typeSize = 24

    /// Decodes one block (`typeSize` bytes) into `blockSize` floats.
    static func dequantizeBlock(_ block: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<Float>) {
        let d = FP16.decode(UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 0, as: UInt16.self)))
        let m = FP16.decode(UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
        let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        for j in 0..<16 {
            let byte = block[8 + j]
            let q0 = UInt32(byte & 0x0F) | ((qh >> UInt32(j)) & 1) << 4
            let q1 = UInt32(byte >> 4) | ((qh >> UInt32(j + 16)) & 1) << 4
            out[j] = d * Float(q0) + m
            out[j + 16] = d * Float(q1) + m
        }
    }

    /// Encodes `blockSize` finite floats with ggml's reference rule (`quantize_row_q5_1_ref`):
    /// m = min, d = (max - min) / 31, code = min(31, trunc((x - min) / d + 0.5)).
    /// Returns false when d or m does not fit in fp16.
    static func quantizeBlock(_ x: UnsafeBufferPointer<Float>, into block: UnsafeMutableRawBufferPointer) -> Bool {
        let (low, high) = valueRange(x)
        let d = (high - low) / 31
        let inverse: Float = d == 0 ? 0 : 1 / d
        let dBits = FP16.encode(d)
        let mBits = FP16.encode(low)
        block.storeBytes(of: dBits.littleEndian, toByteOffset: 0, as: UInt16.self)
        block.storeBytes(of: mBits.littleEndian, toByteOffset: 2, as: UInt16.self)
        var qh: UInt32 = 0
        for j in 0..<16 {
            let q0 = truncatedInt((x[j] - low) * inverse + 0.5, clampedTo: 0...31)
            let q1 = truncatedInt((x[j + 16] - low) * inverse + 0.5, clampedTo: 0...31)
            block[8 + j] = UInt8(q0 & 0x0F | (q1 & 0x0F) << 4)
            qh |= UInt32(q0 >> 4) << UInt32(j) | UInt32(q1 >> 4) << UInt32(j + 16)
        }
        block.storeBytes(of: qh.littleEndian, toByteOffset: 4, as: UInt32.self)
        return FP16.decode(dBits).isFinite && FP16.decode(mBits).isFinite
    }
}
