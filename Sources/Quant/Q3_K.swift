/// ggml Q3_K: 256 weights per 110-byte super-block of sixteen 16-weight sub-blocks, each with a
/// 6-bit scale stored with an offset of 32 (so -32...31); weights are 3-bit signed (-4...3).
///
/// Block layout (little-endian):
/// ```
/// offset 0    u8   hmask[32]   bit 4h+k of hmask[l] = bit 2 of the code of weight 32k + l of half h
/// offset 32   u8   qs[64]      the block is two halves h = 0, 1 of 128 weights; bits 0-1 of the
///                                code of weight 32k + l of half h (k = 0..<4, l = 0..<32) are bits
///                                2k, 2k+1 of qs[32h + l]
/// offset 96   u8   scales[12]  sixteen 6-bit values u[s] = scale + 32, packed:
///                                bits 0-3 of u[s]: s < 8: low nibble of byte s,
///                                                  s >= 8: high nibble of byte s - 8
///                                bits 4-5 of u[s]: bits 2(s/4), 2(s/4)+1 of byte 8 + s % 4
/// offset 108  fp16 d           super-block scale
/// ```
/// With the 3-bit code c (0...7) of weight i in sub-block s = i / 16, weight i decodes to
/// `(d * (u[s] - 32)) * (c - 4)` (ggml writes c - 4 as "low 2 bits, minus 4 when the hmask bit is 0").
public enum Q3_K {
    public static let blockSize = 256
    public static let typeSize = 110

    /// The signed scale u[s] - 32 of sub-block `s` (0..<16) from the 12 packed bytes at offset 96.
    @inline(__always)
    static func scale(_ s: Int, _ block: UnsafeRawBufferPointer) -> Int {
        let low = s < 8 ? block[96 + s] & 0x0F : block[96 + s - 8] >> 4
        let high = (block[96 + 8 + s % 4] >> UInt8(2 * (s / 4))) & 3
        return Int(low | high << 4) - 32
    }

    /// Decodes one super-block (`typeSize` bytes) into `blockSize` floats.
    static func dequantizeBlock(_ block: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<Float>) {
        let d = FP16.decode(UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 108, as: UInt16.self)))
        for s in 0..<16 {
            let dl = d * Float(scale(s, block))
            let half = s / 8, k = (s % 8) / 2
            let first = 16 * (s % 2)             // position within the 32 weights of group k
            for l in first..<first + 16 {
                let low = Int((block[32 + 32 * half + l] >> UInt8(2 * k)) & 3)
                let high = Int((block[l] >> UInt8(4 * half + k)) & 1)
                out[128 * half + 32 * k + l] = dl * Float(low + 4 * high - 4)
            }
        }
    }

    /// Encodes `blockSize` finite floats. Returns false when d does not fit in fp16.
    ///
    /// A simple one-pass encoder, not ggml's `make_q3_quants` search: sub-block s needs the step
    /// max|x| / 3 so that codes stay in -3...3 (the code -4 is unused, as Q6_K's encoder leaves -32
    /// unused); the scales (0...31 of the -32...31 range) are rounded up from that and each weight
    /// takes the nearest code. Every weight decodes within half a step, `d * scale[s] / 2`, of its
    /// value (up to float rounding of the fp16 d).
    static func quantizeBlock(_ x: UnsafeBufferPointer<Float>, into block: UnsafeMutableRawBufferPointer) -> Bool {
        let needed = symmetricSubBlockSteps(x, codes: 3)
        let dBits = FP16.encodeRoundingUp((needed.max() ?? 0) / 31)
        let d = FP16.decode(dBits)
        for i in 0..<108 { block[i] = 0 }
        for s in 0..<16 {
            let sc = d > 0 ? ceiledInt(needed[s] / d, clampedTo: 0...31) : 0
            let u = sc + 32
            block[96 + (s < 8 ? s : s - 8)] |= UInt8(u & 0x0F) << (s < 8 ? 0 : 4)
            block[96 + 8 + s % 4] |= UInt8(u >> 4) << UInt8(2 * (s / 4))
            let step = d * Float(sc)
            for i in 16 * s..<16 * s + 16 {
                let c = (step > 0 ? roundedInt(x[i] / step, clampedTo: -4...3) : 0) + 4
                let half = i / 128, k = (i % 128) / 32, l = i % 32
                block[32 + 32 * half + l] |= UInt8(c & 3) << UInt8(2 * k)
                block[l] |= UInt8(c >> 2) << UInt8(4 * half + k)
            }
        }
        block.storeBytes(of: dBits.littleEndian, toByteOffset: 108, as: UInt16.self)
        return d.isFinite
    }
}
