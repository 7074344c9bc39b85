// Float-to-integer conversions with C's rounding, clamped to a range (what the encoders use where
// ggml's reference casts a float to an int, without trapping on values the cast cannot represent),
// and the block statistics the reference encoders share.

/// C's `(int)x` (truncation toward zero) limited to `range`; NaN gives `range.lowerBound`.
/// Encoders use it where ggml's reference casts a float to an integer, without trapping on
/// values the cast cannot represent.
@inline(__always)
func truncatedInt(_ x: Float, clampedTo range: ClosedRange<Int>) -> Int {
    if x.isNaN { return range.lowerBound }
    if x <= Float(range.lowerBound) { return range.lowerBound }
    if x >= Float(range.upperBound) { return range.upperBound }
    return Int(x)
}

/// C's `roundf` (half away from zero) limited to `range`; NaN gives the value nearest 0 in `range`.
@inline(__always)
func roundedInt(_ x: Float, clampedTo range: ClosedRange<Int>) -> Int {
    if x.isNaN { return min(max(0, range.lowerBound), range.upperBound) }
    return truncatedInt(x.rounded(.toNearestOrAwayFromZero), clampedTo: range)
}

/// Smallest integer >= x, limited to `range`; NaN gives `range.lowerBound`.
@inline(__always)
func ceiledInt(_ x: Float, clampedTo range: ClosedRange<Int>) -> Int {
    truncatedInt(x.rounded(.up), clampedTo: range)
}

/// The value of largest magnitude in `x` (the first on ties; 0 for an empty or all-zero block), as
/// ggml's reference quantizers of the symmetric formats (Q4_0, Q5_0) pick it.
@inline(__always)
func largestMagnitude(_ x: UnsafeBufferPointer<Float>) -> Float {
    var absMax: Float = 0
    var extreme: Float = 0
    for v in x where abs(v) > absMax {
        absMax = abs(v)
        extreme = v
    }
    return extreme
}

/// The lowest and highest value in `x`, for the reference quantizers with a minimum (Q4_1, Q5_1).
@inline(__always)
func valueRange(_ x: UnsafeBufferPointer<Float>) -> (low: Float, high: Float) {
    var low = Float.greatestFiniteMagnitude
    var high = -Float.greatestFiniteMagnitude
    for v in x {
        if v < low { low = v }
        if v > high { high = v }
    }
    return (low, high)
}
