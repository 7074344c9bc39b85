/// Appends little-endian fields to a byte array: the one writer of every binary format.
public struct ByteWriter: Sendable {
    @usableFromInline var _bytes: [UInt8]

    /// The bytes written so far.
    public var bytes: [UInt8] { _bytes }

    public init(capacity: Int = 64) {
        _bytes = []
        _bytes.reserveCapacity(capacity)
    }

    /// Number of bytes written so far (the offset of the next field).
    public var count: Int { _bytes.count }

    /// A little-endian integer of any fixed width.
    @inlinable
    public mutating func integer<T: FixedWidthInteger>(_ value: T) {
        for i in 0..<MemoryLayout<T>.size { _bytes.append(UInt8(truncatingIfNeeded: value >> (8 * i))) }
    }

    public mutating func u8(_ value: UInt8) { _bytes.append(value) }
    public mutating func u16(_ value: UInt16) { integer(value) }
    public mutating func u32(_ value: UInt32) { integer(value) }
    public mutating func u64(_ value: UInt64) { integer(value) }
    public mutating func float32(_ value: Float) { integer(value.bitPattern) }
    public mutating func float64(_ value: Double) { integer(value.bitPattern) }

    /// Raw bytes, as they are.
    public mutating func raw(_ data: some Sequence<UInt8>) { _bytes.append(contentsOf: data) }

    /// A string as a length of type `L` then its UTF-8 bytes. The caller checks the length
    /// fits `L` and the format's limit (writers refuse over-long fields before encoding).
    public mutating func string<L: FixedWidthInteger & UnsignedInteger>(_ text: String, length _: L.Type) {
        let utf8 = Array(text.utf8)
        integer(L(truncatingIfNeeded: utf8.count))
        _bytes.append(contentsOf: utf8)
    }

    /// Overwrites 4 bytes at `offset` (a length prefix written before its payload).
    public mutating func patchU32(_ value: UInt32, at offset: Int) {
        for i in 0..<4 { _bytes[offset + i] = UInt8(truncatingIfNeeded: value >> UInt32(8 * i)) }
    }

    /// Hands the bytes over without copying.
    public consuming func finish() -> [UInt8] { _bytes }
}
