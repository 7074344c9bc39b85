// Float-to-integer conversions with C's rounding, clamped to a range: what the encoders use where
// ggml's reference casts a float to an int, without trapping on values the cast cannot represent.

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
