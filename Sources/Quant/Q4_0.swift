/// ggml Q4_0: 32 weights per 18-byte block, symmetric 4-bit.
///
/// Block layout (little-endian):
/// ```
/// offset 0   fp16 d          scale
/// offset 2   u8   qs[16]     byte j: low nibble = weight j, high nibble = weight j + 16
/// ```
/// Weight i decodes to `(q_i - 8) * d`.
public enum Q4_0 {
    public static let blockSize = 32
    public static let typeSize = 18

    /// Decodes one block (`typeSize` bytes) into `blockSize` floats.
    static func dequantizeBlock(_ block: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<Float>) {
        let d = FP16.decode(UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 0, as: UInt16.self)))
        for j in 0..<16 {
            let byte = block[2 + j]
            out[j] = d * Float(Int(byte & 0x0F) - 8)
            out[j + 16] = d * Float(Int(byte >> 4) - 8)
        }
    }

    /// Encodes `blockSize` finite floats with ggml's reference rule: d = (the value of largest
    /// magnitude) / -8, code = min(15, trunc(x / d + 8.5)), so the extreme value gets code 0.
    /// Returns false when d does not fit in fp16.
    static func quantizeBlock(_ x: UnsafeBufferPointer<Float>, into block: UnsafeMutableRawBufferPointer) -> Bool {
        let d = largestMagnitude(x) / -8
        let inverse: Float = d == 0 ? 0 : 1 / d
        let dBits = FP16.encode(d)
        block.storeBytes(of: dBits.littleEndian, toByteOffset: 0, as: UInt16.self)
        for j in 0..<16 {
            let low = truncatedInt(x[j] * inverse + 8.5, clampedTo: 0...15)
            let high = truncatedInt(x[j + 16] * inverse + 8.5, clampedTo: 0...15)
            block[2 + j] = UInt8(low | high << 4)
        }
        return FP16.decode(dBits).isFinite
    }
}
