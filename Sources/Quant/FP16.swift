/// IEEE 754 binary16 ("half", GGUF F16) conversions on raw bit patterns.
///
/// Portable bit-level code, so results do not depend on the host having F16C or on the
/// compiler's `Float16` support. Encoding rounds to nearest, ties to even; values at or above
/// 65520 in magnitude become infinity. NaN stays NaN with its sign and the top payload bits,
/// and is made quiet.
public enum FP16 {
    /// The largest finite half value, 65504.
    public static let greatestFiniteMagnitude: Float = 65504

    /// Widens a half to Float. Exact for every input: subnormal halves become normal Floats,
    /// infinities stay infinite, NaN payloads are kept (shifted into the wider mantissa).
    @inline(__always)
    public static func decode(_ bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x03FF)
        if exponent == 0x1F {
            // Infinity (mantissa 0) or NaN (payload kept).
            return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
        }
        if exponent == 0 {
            // Zero or subnormal: mantissa * 2^-24, exactly representable in Float.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        // Normal: rebias the exponent from 15 to 127.
        return Float(bitPattern: sign | (exponent + (127 - 15)) << 23 | mantissa << 13)
    }

    /// Narrows a Float to a half, rounding to nearest with ties to even.
    @inline(__always)
    public static func encode(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: bits >> 16) & 0x8000
        let magnitude = bits & 0x7FFF_FFFF
        if magnitude > 0x7F80_0000 {
            // NaN: keep the top 10 payload bits and set the quiet bit.
            return sign | 0x7E00 | UInt16(truncatingIfNeeded: magnitude >> 13) & 0x03FF
        }
        let exponent = Int(magnitude >> 23) - 127   // unbiased; infinity gives 128
        let mantissa = magnitude & 0x007F_FFFF
        if exponent >= 16 {
            return sign | 0x7C00                    // too large for a half (or already infinite)
        }
        if exponent >= -14 {
            // Normal half: keep 10 mantissa bits, round on the 13 dropped bits. A carry out of the
            // mantissa correctly bumps the exponent (up to infinity).
            var half = UInt32(exponent + 15) << 10 | mantissa >> 13
            half += roundingIncrement(dropped: mantissa & 0x1FFF, halfway: 0x1000, lastKept: half)
            return sign | UInt16(half)
        }
        if exponent < -25 {
            return sign                             // below half the smallest subnormal: zero
        }
        // Subnormal half: the value in units of 2^-24 is (1.mantissa) * 2^(exponent + 24), i.e. the
        // 24-bit significand shifted right by -(exponent + 1) places (14...24).
        let significand = mantissa | 0x0080_0000
        let shift = UInt32(-(exponent + 1))
        var half = significand >> shift
        let dropped = significand & ((1 << shift) - 1)
        half += roundingIncrement(dropped: dropped, halfway: 1 << (shift - 1), lastKept: half)
        return sign | UInt16(half)                  // a carry into 0x0400 is the smallest normal
    }

    /// The smallest half >= `value` for a finite `value` >= 0 (infinity when none is finite): the
    /// K encoders' super-scales, so that the integer scales they derive never need more than
    /// their maximum.
    static func encodeRoundingUp(_ value: Float) -> UInt16 {
        let bits = encode(value)
        guard value >= 0, bits < 0x7C00, decode(bits) < value else { return bits }
        return bits + 1                             // positive halves are ordered as their bits
    }

    /// 1 when the dropped bits round the kept value up under ties-to-even, else 0.
    @inline(__always)
    static func roundingIncrement(dropped: UInt32, halfway: UInt32, lastKept: UInt32) -> UInt32 {
        (dropped > halfway || (dropped == halfway && lastKept & 1 == 1)) ? 1 : 0
    }
}
