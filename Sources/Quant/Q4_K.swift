/// ggml Q4_K: 256 weights per 144-byte super-block of eight 32-weight sub-blocks, each with a
/// 6-bit scale and a 6-bit minimum.
///
/// Block layout (little-endian):
/// ```
/// offset 0    fp16 d           super-block scale of the sub-block scales
/// offset 2    fp16 dmin        super-block scale of the sub-block minimums
/// offset 4    u8   scales[12]  eight 6-bit scales sc[j] and eight 6-bit minimums m[j], packed:
///                                bytes 0-3:  sc[0..3] in bits 0-5, bits 4-5 of sc[4..7] in bits 6-7
///                                bytes 4-7:  m[0..3]  in bits 0-5, bits 4-5 of m[4..7]  in bits 6-7
///                                bytes 8-11: bits 0-3 of sc[4..7] in the low nibble,
///                                            bits 0-3 of m[4..7] in the high nibble
/// offset 16   u8   qs[128]     sub-blocks 2p and 2p+1 share bytes 32p..<32p+32:
///                                low nibble of byte 32p+l = weight l of sub-block 2p,
///                                high nibble = weight l of sub-block 2p+1
/// ```
/// Weight l of sub-block j decodes to `(d * sc[j]) * q - (dmin * m[j])`.
public enum Q4_K {
    public static let blockSize = 256
    public static let typeSize = 144

    /// The 6-bit scale and minimum of sub-block `j` (0..<8) from the 12 packed bytes at `offset`.
    @inline(__always)
    static func scaleAndMin(_ j: Int, _ block: UnsafeRawBufferPointer, offset: Int) -> (scale: UInt8, min: UInt8) {
        if j < 4 {
            return (block[offset + j] & 0x3F, block[offset + j + 4] & 0x3F)
        }
        let scale = block[offset + j + 4] & 0x0F | (block[offset + j - 4] >> 6) << 4
        let minimum = block[offset + j + 4] >> 4 | (block[offset + j] >> 6) << 4
        return (scale, minimum)
    }

    /// Decodes one super-block (`typeSize` bytes) into `blockSize` floats.
    static func dequantizeBlock(_ block: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<Float>) {
        let d = FP16.decode(UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 0, as: UInt16.self)))
        let dmin = FP16.decode(UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
        for pair in 0..<4 {
            let (sc0, m0) = scaleAndMin(2 * pair, block, offset: 4)
            let (sc1, m1) = scaleAndMin(2 * pair + 1, block, offset: 4)
            let scale0 = d * Float(sc0), min0 = dmin * Float(m0)
            let scale1 = d * Float(sc1), min1 = dmin * Float(m1)
            for l in 0..<32 {
                let byte = block[16 + 32 * pair + l]
                out[64 * pair + l] = scale0 * Float(byte & 0x0F) - min0
                out[64 * pair + 32 + l] = scale1 * Float(byte >> 4) - min1
            }
        }
    }

    /// Encodes `blockSize` finite floats with the one-pass `AffineSubBlockEncoder` (6-bit scales
    /// and minimums, codes 0...15). Returns false when d or dmin does not fit in fp16.
    static func quantizeBlock(_ x: UnsafeBufferPointer<Float>, into block: UnsafeMutableRawBufferPointer) -> Bool {
        let e = AffineSubBlockEncoder(subBlocks: 8, subBlockSize: 32, maxScale: 63, maxCode: 15).encode(x)
        block.storeBytes(of: e.dBits.littleEndian, toByteOffset: 0, as: UInt16.self)
        block.storeBytes(of: e.dminBits.littleEndian, toByteOffset: 2, as: UInt16.self)
        storeScalesAndMins(e.scales, e.mins, in: block, offset: 4)
        for j in 0..<8 {
            for l in 0..<32 {
                let index = 16 + 32 * (j / 2) + l
                let q = UInt8(e.codes[32 * j + l])
                block[index] = j % 2 == 0 ? q : block[index] | q << 4
            }
        }
        return e.fits
    }

    /// Packs eight 6-bit scales and minimums into the 12 bytes at `offset` (the inverse of
    /// `scaleAndMin`); Q5_K uses the same packing.
    static func storeScalesAndMins(_ scales: [Int], _ mins: [Int], in block: UnsafeMutableRawBufferPointer, offset: Int) {
        for j in 0..<4 {
            block[offset + j] = UInt8(scales[j] | (scales[j + 4] >> 4) << 6)
            block[offset + 4 + j] = UInt8(mins[j] | (mins[j + 4] >> 4) << 6)
            block[offset + 8 + j] = UInt8(scales[j + 4] & 0x0F | (mins[j + 4] & 0x0F) << 4)
        }
    }
}
