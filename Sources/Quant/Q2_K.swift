/// ggml Q2_K: 256 weights per 84-byte super-block of sixteen 16-weight sub-blocks, each with a
/// 4-bit scale and a 4-bit minimum; weights are 2-bit.
///
/// Block layout (little-endian):
/// ```
/// offset 0    u8   scales[16]  sub-block s: scale sc[s] in the low nibble, minimum m[s] in the high
/// offset 16   u8   qs[64]      the block is two halves h = 0, 1 of 128 weights; weight 32k + l of
///                                half h (k = 0..<4, l = 0..<32) is bits 2k, 2k+1 of qs[32h + l]
/// offset 80   fp16 d           super-block scale of the sub-block scales
/// offset 82   fp16 dmin        super-block scale of the sub-block minimums
/// ```
/// Weight i (sub-block s = i / 16) decodes to `(d * sc[s]) * q - (dmin * m[s])` with q in 0...3.
public enum Q2_K {
    public static let blockSize = 256
    public static let typeSize = 84

    /// Decodes one super-block (`typeSize` bytes) into `blockSize` floats.
    static func dequantizeBlock(_ block: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<Float>) {
        let d = FP16.decode(UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 80, as: UInt16.self)))
        let dmin = FP16.decode(UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 82, as: UInt16.self)))
        for s in 0..<16 {
            let packed = block[s]
            let scale = d * Float(packed & 0x0F), minimum = dmin * Float(packed >> 4)
            // Sub-block s is weights 16s..<16s+16: half s / 8, shift 2 * ((s % 8) / 2), bytes from
            // 32 * (s / 8) + 16 * (s % 2).
            let shift = UInt8(2 * ((s % 8) / 2)), first = 16 + 32 * (s / 8) + 16 * (s % 2)
            for l in 0..<16 {
                out[16 * s + l] = scale * Float((block[first + l] >> shift) & 3) - minimum
            }
        }
    }

    /// Encodes `blockSize` finite floats with the one-pass `AffineSubBlockEncoder` (4-bit scales
    /// and minimums, codes 0...3). Returns false when d or dmin does not fit in fp16.
    static func quantizeBlock(_ x: UnsafeBufferPointer<Float>, into block: UnsafeMutableRawBufferPointer) -> Bool {
        let e = AffineSubBlockEncoder(subBlocks: 16, subBlockSize: 16, maxScale: 15, maxCode: 3).encode(x)
        for s in 0..<16 { block[s] = UInt8(e.scales[s] | e.mins[s] << 4) }
        for i in 0..<64 { block[16 + i] = 0 }
        for i in 0..<256 {
            let half = i / 128, k = (i % 128) / 32, l = i % 32
            block[16 + 32 * half + l] |= UInt8(e.codes[i]) << UInt8(2 * k)
        }
        block.storeBytes(of: e.dBits.littleEndian, toByteOffset: 80, as: UInt16.self)
        block.storeBytes(of: e.dminBits.littleEndian, toByteOffset: 82, as: UInt16.self)
        return e.fits
    }
}
