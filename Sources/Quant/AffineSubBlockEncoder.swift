/// The one-pass encoder of the K formats whose sub-blocks decode as `(d * sc[j]) * q - (dmin * m[j])`
/// (Q2_K, Q4_K, Q5_K): integer scales `sc[j]` and minimums `m[j]` in 0...`maxScale` under two fp16
/// super-scales, codes in 0...`maxCode`. It is not ggml's iterative `make_qkx2_quants` search.
///
/// Each sub-block's range [min(0, lowest), highest] is covered exactly: the fp16 super-scales are
/// rounded up (so no integer scale or minimum needs more than `maxScale`), the minimums are rounded
/// up (so the covered range starts at or below the lowest value), then each scale is rounded up
/// from the range left to cover, and each weight takes the nearest code. Every weight therefore decodes
/// within half a step, `d * sc[j] / 2`, of its value (up to float rounding of the fp16 super-scales).
struct AffineSubBlockEncoder {
    /// Sub-blocks per 256-weight super-block and weights per sub-block.
    let subBlocks: Int
    let subBlockSize: Int
    /// Largest integer scale and minimum (63 for 6-bit fields, 15 for 4-bit ones).
    let maxScale: Int
    /// Largest code (3, 15 or 31).
    let maxCode: Int

    /// The encoding of one super-block: fp16 bits of d and dmin, per-sub-block scales and
    /// minimums, and the code of every weight.
    struct Encoded {
        var dBits: UInt16
        var dminBits: UInt16
        var scales: [Int]
        var mins: [Int]
        var codes: [Int]
        /// False when d or dmin does not fit in fp16.
        var fits: Bool
    }

    func encode(_ x: UnsafeBufferPointer<Float>) -> Encoded {
        var negatedMin = [Float](repeating: 0, count: subBlocks)    // -min(0, lowest) >= 0
        var highest = [Float](repeating: 0, count: subBlocks)
        for j in 0..<subBlocks {
            var low: Float = 0
            var high = -Float.greatestFiniteMagnitude
            for l in 0..<subBlockSize {
                low = min(low, x[subBlockSize * j + l])
                high = max(high, x[subBlockSize * j + l])
            }
            negatedMin[j] = -low
            highest[j] = high
        }

        // Minimums first: the scale must then cover [-dmin * m, highest].
        let dminBits = FP16.encodeRoundingUp((negatedMin.max() ?? 0) / Float(maxScale))
        let dmin = FP16.decode(dminBits)
        var mins = [Int](repeating: 0, count: subBlocks)
        var offsets = [Float](repeating: 0, count: subBlocks)      // dmin * m[j], as the decoder computes it
        var needed = [Float](repeating: 0, count: subBlocks)       // step that spans the sub-block
        for j in 0..<subBlocks {
            mins[j] = dmin > 0 ? ceiledInt(negatedMin[j] / dmin, clampedTo: 0...maxScale) : 0
            offsets[j] = dmin * Float(mins[j])
            needed[j] = max(0, (highest[j] + offsets[j]) / Float(maxCode))
        }
        let dBits = FP16.encodeRoundingUp((needed.max() ?? 0) / Float(maxScale))
        let d = FP16.decode(dBits)
        var scales = [Int](repeating: 0, count: subBlocks)
        var codes = [Int](repeating: 0, count: subBlocks * subBlockSize)
        for j in 0..<subBlocks {
            scales[j] = d > 0 ? ceiledInt(needed[j] / d, clampedTo: 0...maxScale) : 0
            let step = d * Float(scales[j])
            for l in 0..<subBlockSize where step > 0 {
                let i = subBlockSize * j + l
                codes[i] = roundedInt((x[i] + offsets[j]) / step, clampedTo: 0...maxCode)
            }
        }
        return Encoded(dBits: dBits, dminBits: dminBits, scales: scales, mins: mins, codes: codes,
                       fits: d.isFinite && dmin.isFinite)
    }
}
