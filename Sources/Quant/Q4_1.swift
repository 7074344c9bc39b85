/// ggml Q4_1: 32 weights per 20-byte block, 4-bit with a scale and a minimum.
///
/// Block layout (little-endian):
/// ```
/// offset 0   fp16 d          scale
/// offset 2   fp16 m          minimum
/// offset 4   u8   qs[16]     byte j: low nibble = weight j, high nibble = weight j + 16
/// ```
/// Weight i decodes to `q_i * d + m`.
public enum Q4_1 {
    public static let blockSize = 32
    public static let typeSize = 20

    /// Decodes one block (`typeSize` bytes) into `blockSize` floats.
    static func dequantizeBlock(_ block: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<Float>) {
        let d = FP16.decode(UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 0, as: UInt16.self)))
        let m = FP16.decode(UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
        for j in 0..<16 {
            let byte = block[4 + j]
            out[j] = d * Float(byte & 0x0F) + m
            out[j + 16] = d * Float(byte >> 4) + m
        }
    }

    /// Encodes `blockSize` finite floats with ggml's reference rule: m = min, d = (max - min) / 15,
    /// code = min(15, trunc((x - min) / d + 0.5)). Returns false when d or m does not fit in fp16.
    static func quantizeBlock(_ x: UnsafeBufferPointer<Float>, into block: UnsafeMutableRawBufferPointer) -> Bool {
        let (low, high) = valueRange(x)
        let d = (high - low) / 15
        let inverse: Float = d == 0 ? 0 : 1 / d
        let dBits = FP16.encode(d)
        let mBits = FP16.encode(low)
        block.storeBytes(of: dBits.littleEndian, toByteOffset: 0, as: UInt16.self)
        block.storeBytes(of: mBits.littleEndian, toByteOffset: 2, as: UInt16.self)
        for j in 0..<16 {
            let q0 = truncatedInt((x[j] - low) * inverse + 0.5, clampedTo: 0...15)
            let q1 = truncatedInt((x[j + 16] - low) * inverse + 0.5, clampedTo: 0...15)
            block[4 + j] = UInt8(q0 | q1 << 4)
        }
        return FP16.decode(dBits).isFinite && FP16.decode(mBits).isFinite
    }
}
