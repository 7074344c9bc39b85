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

    /// Encodes `blockSize` finite floats. Returns false when d or dmin does not fit in fp16.
    ///
    /// A simple one-pass encoder, not ggml's iterative `make_qkx2_quants` search: each sub-block's
    /// range [min(0, lowest), highest] is covered exactly. The 6-bit minimums are rounded up
    /// (so the covered range starts at or below the lowest value), then each 6-bit scale is rounded
    /// up from the range left to cover, and each weight takes the nearest of its 16 levels. Every
    /// weight therefore decodes within half a step, `d * sc[j] / 2`, of its value (up to float
    /// rounding of the fp16 super-scales).
    static func quantizeBlock(_ x: UnsafeBufferPointer<Float>, into block: UnsafeMutableRawBufferPointer) -> Bool {
        var negatedMin = [Float](repeating: 0, count: 8)    // -min(0, lowest) >= 0
        var highest = [Float](repeating: 0, count: 8)
        for j in 0..<8 {
            var low: Float = 0
            var high = -Float.greatestFiniteMagnitude
            for l in 0..<32 {
                low = min(low, x[32 * j + l])
                high = max(high, x[32 * j + l])
            }
            negatedMin[j] = -low
            highest[j] = high
        }

        // Minimums first: the scale must then cover [-dmin * m, highest].
        let dminBits = FP16.encode((negatedMin.max() ?? 0) / 63)
        let dmin = FP16.decode(dminBits)
        var mins = [Int](repeating: 0, count: 8)
        var offsets = [Float](repeating: 0, count: 8)      // dmin * m[j], as the decoder computes it
        var needed = [Float](repeating: 0, count: 8)       // step that spans the sub-block in 15 levels
        for j in 0..<8 {
            mins[j] = dmin > 0 ? ceiledInt(negatedMin[j] / dmin, clampedTo: 0...63) : 0
            offsets[j] = dmin * Float(mins[j])
            needed[j] = max(0, (highest[j] + offsets[j]) / 15)
        }
        let dBits = FP16.encode((needed.max() ?? 0) / 63)
        let d = FP16.decode(dBits)
        var scales = [Int](repeating: 0, count: 8)
        for j in 0..<8 {
            scales[j] = d > 0 ? ceiledInt(needed[j] / d, clampedTo: 0...63) : 0
        }

        block.storeBytes(of: dBits.littleEndian, toByteOffset: 0, as: UInt16.self)
        block.storeBytes(of: dminBits.littleEndian, toByteOffset: 2, as: UInt16.self)
        for j in 0..<4 {
            block[4 + j] = UInt8(scales[j] | (scales[j + 4] >> 4) << 6)
            block[8 + j] = UInt8(mins[j] | (mins[j + 4] >> 4) << 6)
            block[12 + j] = UInt8(scales[j + 4] & 0x0F | (mins[j + 4] & 0x0F) << 4)
        }
        for j in 0..<8 {
            let step = d * Float(scales[j])
            for l in 0..<32 {
                let q = step > 0 ? roundedInt((x[32 * j + l] + offsets[j]) / step, clampedTo: 0...15) : 0
                let index = 16 + 32 * (j / 2) + l
                block[index] = j % 2 == 0 ? UInt8(q) : block[index] | UInt8(q) << 4
            }
        }
        return d.isFinite && dmin.isFinite
    }
}
