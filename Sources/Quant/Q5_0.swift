/// ggml Q5_0: 32 weights per 22-byte block, symmetric 5-bit.
///
/// Block layout (little-endian):
/// ```
/// offset 0   fp16 d          scale
/// offset 2   u32  qh         bit j = bit 4 of weight j's code
/// offset 6   u8   qs[16]     byte j: low nibble = low 4 bits of weight j,
///                                    high nibble = low 4 bits of weight j + 16
/// ```
/// Weight i decodes to `d * (q_i - 16)` with the 5-bit code q_i in 0...31.
public enum Q5_0 {
    public static let blockSize = 32
    public static let typeSize = 22

    /// Decodes one block (`typeSize` bytes) into `blockSize` floats.
    static func dequantizeBlock(_ block: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<Float>) {
        let d = FP16.decode(UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 0, as: UInt16.self)))
        let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        for j in 0..<16 {
            let byte = block[6 + j]
            let q0 = Int(byte & 0x0F) | Int((qh >> UInt32(j)) & 1) << 4
            let q1 = Int(byte >> 4) | Int((qh >> UInt32(j + 16)) & 1) << 4
            out[j] = d * Float(q0 - 16)
            out[j + 16] = d * Float(q1 - 16)
        }
    }

    /// Encodes `blockSize` finite floats with ggml's reference rule (`quantize_row_q5_0_ref`):
    /// d = (the value of largest magnitude) / -16, code = min(31, trunc(x / d + 16.5)), so the
    /// extreme value gets code 0. Returns false when d does not fit in fp16.
    static func quantizeBlock(_ x: UnsafeBufferPointer<Float>, into block: UnsafeMutableRawBufferPointer) -> Bool {
        let d = largestMagnitude(x) / -16
        let inverse: Float = d == 0 ? 0 : 1 / d
        let dBits = FP16.encode(d)
        block.storeBytes(of: dBits.littleEndian, toByteOffset: 0, as: UInt16.self)
        var qh: UInt32 = 0
        for j in 0..<16 {
            let q0 = truncatedInt(x[j] * inverse + 16.5, clampedTo: 0...31)
            let q1 = truncatedInt(x[j + 16] * inverse + 16.5, clampedTo: 0...31)
            block[6 + j] = UInt8(q0 & 0x0F | (q1 & 0x0F) << 4)
            qh |= UInt32(q0 >> 4) << UInt32(j) | UInt32(q1 >> 4) << UInt32(j + 16)
        }
        block.storeBytes(of: qh.littleEndian, toByteOffset: 2, as: UInt32.self)
        return FP16.decode(dBits).isFinite
    }
}
