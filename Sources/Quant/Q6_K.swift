/// ggml Q6_K: 256 weights per 210-byte super-block of sixteen 16-weight sub-blocks, each with an
/// 8-bit signed scale; weights are 6-bit.
///
/// Block layout (little-endian):
/// ```
/// offset 0     u8   ql[128]     low 4 bits of the weights
/// offset 128   u8   qh[64]      high 2 bits of the weights
/// offset 192   i8   scales[16]  scale of sub-block s = weights 16s..<16s+16
/// offset 208   fp16 d           super-block scale
/// ```
/// The block is two halves h = 0, 1 of 128 weights; within a half, weight 32k + l
/// (k = 0..<4, l = 0..<32) stores its low 4 bits in `ql[64h + l + 32(k % 2)]` (low nibble for
/// k < 2, high nibble for k >= 2) and its high 2 bits in bits 2k, 2k+1 of `qh[32h + l]`.
/// Weight i decodes to `(d * scales[i / 16]) * (q_i - 32)`.
public enum Q6_K {
    public static let blockSize = 256
    public static let typeSize = 210

    /// Decodes one super-block (`typeSize` bytes) into `blockSize` floats.
    static func dequantizeBlock(_ block: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<Float>) {
        let d = FP16.decode(UInt16(littleEndian: block.loadUnaligned(fromByteOffset: 208, as: UInt16.self)))
        func weight(_ i: Int, _ q: Int) -> Float {
            d * Float(scale(i / 16, block)) * Float(q - 32)
        }
        for half in 0..<2 {
            let ql = 64 * half, qh = 128 + 32 * half, first = 128 * half
            for l in 0..<32 {
                let high = block[qh + l]
                let q0 = Int(block[ql + l] & 0x0F) | Int(high & 0x03) << 4
                let q1 = Int(block[ql + l + 32] & 0x0F) | Int((high >> 2) & 0x03) << 4
                let q2 = Int(block[ql + l] >> 4) | Int((high >> 4) & 0x03) << 4
                let q3 = Int(block[ql + l + 32] >> 4) | Int(high >> 6) << 4
                out[first + l] = weight(first + l, q0)
                out[first + 32 + l] = weight(first + 32 + l, q1)
                out[first + 64 + l] = weight(first + 64 + l, q2)
                out[first + 96 + l] = weight(first + 96 + l, q3)
            }
        }
    }

    @inline(__always)
    static func scale(_ subBlock: Int, _ block: UnsafeRawBufferPointer) -> Int8 {
        Int8(bitPattern: block[192 + subBlock])
    }

    /// Encodes `blockSize` finite floats. Returns false when d does not fit in fp16.
    ///
    /// A simple one-pass encoder, not ggml's `make_qx_quants` search: sub-block s needs the step
    /// max|x| / 31 so that codes stay in -31...31 (the code -32 is unused); the 8-bit scales are
    /// rounded up from that and each weight takes the nearest code. Every weight decodes within
    /// half a step, `d * scales[s] / 2`, of its value (up to float rounding of the fp16 d).
    static func quantizeBlock(_ x: UnsafeBufferPointer<Float>, into block: UnsafeMutableRawBufferPointer) -> Bool {
        let needed = symmetricSubBlockSteps(x, codes: 31)
        let dBits = FP16.encode((needed.max() ?? 0) / 127)
        let d = FP16.decode(dBits)
        for i in 0..<192 { block[i] = 0 }
        for s in 0..<16 {
            let sc = d > 0 ? ceiledInt(needed[s] / d, clampedTo: 0...127) : 0
            block[192 + s] = UInt8(sc)
            let step = d * Float(sc)
            for i in 16 * s..<16 * s + 16 {
                let q = step > 0 ? roundedInt(x[i] / step, clampedTo: -32...31) : 0
                store(UInt8(q + 32), element: i, in: block)
            }
        }
        block.storeBytes(of: dBits.littleEndian, toByteOffset: 208, as: UInt16.self)
        return d.isFinite
    }

    /// Writes the 6-bit code of weight `i` into `ql` and `qh` (which must start zeroed).
    static func store(_ code: UInt8, element i: Int, in block: UnsafeMutableRawBufferPointer) {
        let half = i / 128, k = (i % 128) / 32, l = i % 32
        let low = 64 * half + l + 32 * (k % 2)
        block[low] |= (code & 0x0F) << (k < 2 ? 0 : 4)
        block[128 + 32 * half + l] |= (code >> 4) << (2 * k)
    }
}
