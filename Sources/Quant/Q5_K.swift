/// ggml Q5_K: 256 weights per 176-byte super-block of eight 32-weight sub-blocks, each with a
/// 6-bit scale and a 6-bit minimum (packed as Q4_K's); weights are 5-bit.
///
/// Block layout (little-endian):
/// ```
/// offset 0    fp16 d           super-block scale of the sub-block scales
/// offset 2    fp16 dmin        super-block scale of the sub-block minimums
/// offset 4    u8   scales[12]  eight 6-bit scales sc[j] and minimums m[j], packed as in Q4_K
/// offset 16   u8   qh[32]      bit j of qh[l] = bit 4 of weight l of sub-block j
/// offset 48   u8   qs[128]     low 4 bits: sub-blocks 2p and 2p+1 share bytes 32p..<32p+32,
///                                low nibble of byte 32p+l = weight l of sub-block 2p,
///                                high nibble = weight l of sub-block 2p+1
/// ```
/// Weight l of sub-block j decodes to `(d * sc[j]) * q - (dmin * m[j])` with q in 0...31.
public enum Q5_K {
    public static let blockSize = 256
    public static let typeSize = 176

    /// Decodes one super-block (`typeSize` bytes) into `blockSize` floats.
    static func dequantizeBlock(_ block: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<Float>) {
        let d = FP16.decode(UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 0, as: UInt16.self)))
        let dmin = FP16.decode(UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
        for pair in 0..<4 {
            let (sc0, m0) = Q4_K.scaleAndMin(2 * pair, block, offset: 4)
            let (sc1, m1) = Q4_K.scaleAndMin(2 * pair + 1, block, offset: 4)
            let scale0 = d * Float(sc0), min0 = dmin * Float(m0)
            let scale1 = d * Float(sc1), min1 = dmin * Float(m1)
            for l in 0..<32 {
                let byte = block[48 + 32 * pair + l], high = block[16 + l]
                let q0 = byte & 0x0F | ((high >> UInt8(2 * pair)) & 1) << 4
                let q1 = byte >> 4 | ((high >> UInt8(2 * pair + 1)) & 1) << 4
                out[64 * pair + l] = scale0 * Float(q0) - min0
                out[64 * pair + 32 + l] = scale1 * Float(q1) - min1
            }
        }
    }

    /// Encodes `blockSize` finite floats with the one-pass `AffineSubBlockEncoder` (6-bit scales
    /// and minimums, codes 0...31). Returns false when d or dmin does not fit in fp16.
    static func quantizeBlock(_ x: UnsafeBufferPointer<Float>, into block: UnsafeMutableRawBufferPointer) -> Bool {
        let e = AffineSubBlockEncoder(subBlocks: 8, subBlockSize: 32, maxScale: 63, maxCode: 31).encode(x)
        block.storeBytes(of: e.dBits.littleEndian, toByteOffset: 0, as: UInt16.self)
        block.storeBytes(of: e.dminBits.littleEndian, toByteOffset: 2, as: UInt16.self)
        Q4_K.storeScalesAndMins(e.scales, e.mins, in: block, offset: 4)
        for l in 0..<32 { block[16 + l] = 0 }
        for j in 0..<8 {
            for l in 0..<32 {
                let q = e.codes[32 * j + l]
                let index = 48 + 32 * (j / 2) + l
                let low = UInt8(q & 0x0F)
                block[index] = j % 2 == 0 ? low : block[index] | low << 4
                block[16 + l] |= UInt8(q >> 4) << UInt8(j)
            }
        }
        return e.fits
    }
}
