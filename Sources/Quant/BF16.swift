/// bfloat16 (GGUF BF16) conversions on raw bit patterns: the top 16 bits of an IEEE Float.
///
/// Encoding rounds to nearest, ties to even (so large finite values may round to infinity),
/// keeps subnormals (no flush to zero), and turns NaN into a quiet NaN with its sign and top
/// payload bits, as ggml's `ggml_compute_fp32_to_bf16` does.
public enum BF16 {
    /// Widens a bfloat16 to Float. Exact for every input.
    @inline(__always)
    public static func decode(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Narrows a Float to bfloat16, rounding to nearest with ties to even.
    @inline(__always)
    public static func encode(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if bits & 0x7FFF_FFFF > 0x7F80_0000 {
            return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040    // NaN: set the quiet bit
        }
        // Adding 0x7FFF plus the lowest kept bit rounds the dropped half-word to nearest-even;
        // the carry may propagate into the exponent, which is the correct rounding.
        let lastKept = (bits >> 16) & 1
        let rounded = UInt64(bits) + UInt64(0x7FFF + lastKept)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }
}
