// Little-endian field access for block decoders and encoders. Byte-wise so that it is independent
// of alignment and host byte order.

extension UnsafeRawBufferPointer {
    @inline(__always)
    func uint16LE(at offset: Int) -> UInt16 {
        UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
    }

    @inline(__always)
    func uint32LE(at offset: Int) -> UInt32 {
        UInt32(self[offset]) | UInt32(self[offset + 1]) << 8
            | UInt32(self[offset + 2]) << 16 | UInt32(self[offset + 3]) << 24
    }

    /// The fp16 field at `offset`, widened to Float.
    @inline(__always)
    func fp16(at offset: Int) -> Float {
        FP16.decode(uint16LE(at: offset))
    }

    @inline(__always)
    func float32LE(at offset: Int) -> Float {
        Float(bitPattern: uint32LE(at: offset))
    }
}

extension UnsafeMutableRawBufferPointer {
    @inline(__always)
    func storeUInt16LE(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: value)
        self[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
    }

    @inline(__always)
    func storeUInt32LE(_ value: UInt32, at offset: Int) {
        for i in 0..<4 {
            self[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i))
        }
    }
}

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
