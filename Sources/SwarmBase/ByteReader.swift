/// Bounds-checked little-endian reading over untrusted bytes: the one reader of every format
/// (GGUF over a mapped file, safetensors headers, wire frames, SWIM messages).
///
/// Works over any contiguous byte collection with integer indices (`[UInt8]`, `ArraySlice`,
/// `UnsafeRawBufferPointer`). Every read names its field; nothing traps on hostile input and no
/// count read from the input drives an allocation larger than the bytes that remain.
public struct ByteReader<Bytes: RandomAccessCollection> where Bytes.Element == UInt8, Bytes.Index == Int {
    /// The bytes being read.
    public let bytes: Bytes
    @usableFromInline var _offset: Int

    /// Offset of the next byte to read, from the start of `bytes`.
    @inlinable public var offset: Int { _offset }

    @inlinable
    public init(_ bytes: Bytes, offset: Int = 0) {
        self.bytes = bytes
        self._offset = offset
    }

    /// Bytes not yet read.
    @inlinable
    public var remaining: Int { bytes.count - offset }

    @inlinable
    func need(_ count: Int, _ field: String) throws(ByteReadError) {
        guard count >= 0, count <= remaining else {
            throw .truncated(field: field, offset: offset, needed: count, available: remaining)
        }
    }

    /// A little-endian integer of any fixed width.
    @inlinable
    public mutating func integer<T: FixedWidthInteger>(_: T.Type, _ field: String) throws(ByteReadError) -> T {
        let size = MemoryLayout<T>.size
        try need(size, field)
        let base = bytes.startIndex + offset
        var value = T.zero
        for i in 0..<size { value |= T(truncatingIfNeeded: bytes[base + i]) << (8 * i) }
        _offset += size
        return value
    }

    @inlinable public mutating func u8(_ field: String) throws(ByteReadError) -> UInt8 { try integer(UInt8.self, field) }
    @inlinable public mutating func u16(_ field: String) throws(ByteReadError) -> UInt16 { try integer(UInt16.self, field) }
    @inlinable public mutating func u32(_ field: String) throws(ByteReadError) -> UInt32 { try integer(UInt32.self, field) }
    @inlinable public mutating func u64(_ field: String) throws(ByteReadError) -> UInt64 { try integer(UInt64.self, field) }

    /// An IEEE-754 single, little-endian.
    @inlinable
    public mutating func float32(_ field: String) throws(ByteReadError) -> Float {
        Float(bitPattern: try u32(field))
    }

    /// An IEEE-754 double, little-endian.
    @inlinable
    public mutating func float64(_ field: String) throws(ByteReadError) -> Double {
        Double(bitPattern: try u64(field))
    }

    /// The next `count` bytes, without copying.
    @inlinable
    public mutating func bytes(_ count: Int, _ field: String) throws(ByteReadError) -> Bytes.SubSequence {
        try need(count, field)
        let start = bytes.startIndex + offset
        _offset += count
        return bytes[start..<(start + count)]
    }

    /// Skips `count` bytes.
    @inlinable
    public mutating func skip(_ count: Int, _ field: String) throws(ByteReadError) {
        try need(count, field)
        _offset += count
    }

    /// A 32-byte digest.
    @inlinable
    public mutating func digest(_ field: String) throws(ByteReadError) -> Digest32 {
        Digest32(unchecked: Array(try bytes(Digest32.byteCount, field)))
    }

    /// How string bytes that are not valid UTF-8 are treated.
    public enum UTF8Policy: Sendable {
        /// Refused with `invalidUTF8`.
        case strict
        /// Repaired with U+FFFD (GGUF vocabularies hold byte pieces that are not UTF-8 alone).
        case repairing
    }

    /// A string: a little-endian length of type `L`, then that many bytes. Lengths over `limit`
    /// are refused before anything is read; an empty string is refused unless `allowEmpty`.
    @inlinable
    public mutating func string<L: FixedWidthInteger & UnsignedInteger>(
        _ field: String, length _: L.Type, limit: Int, utf8: UTF8Policy = .strict, allowEmpty: Bool = true
    ) throws(ByteReadError) -> String {
        let start = offset
        // The field's name for the length is built only when it is short: this runs once a
        // token of a GGUF vocabulary (49,152 in the real core), and the text would be a heap
        // allocation each time.
        let size = MemoryLayout<L>.size
        guard size <= remaining else {
            throw .truncated(field: "\(field) length", offset: offset, needed: size, available: remaining)
        }
        let length = try integer(L.self, field)
        guard UInt64(length) <= UInt64(limit), allowEmpty || length > 0 else {
            throw .limitExceeded(field: field, offset: start, value: UInt64(length), limit: UInt64(limit))
        }
        let textStart = offset
        let data = try bytes(Int(length), field)
        switch utf8 {
        case .repairing:
            return String(decoding: data, as: UTF8.self)
        case .strict:
            guard let text = String(validating: data, as: UTF8.self) else {
                throw .invalidUTF8(field: field, offset: textStart)
            }
            return text
        }
    }

    /// A count of elements that each take at least `minimumSize` bytes, read as type `C`: refused
    /// when over `limit` or when the remaining bytes could not hold that many, so input never
    /// drives a large allocation.
    @inlinable
    public mutating func count<C: FixedWidthInteger & UnsignedInteger>(
        _ field: String, as _: C.Type, limit: Int, minimumSize: Int
    ) throws(ByteReadError) -> Int {
        let start = offset
        let value = try integer(C.self, field)
        guard UInt64(value) <= UInt64(limit) else {
            throw .limitExceeded(field: field, offset: start, value: UInt64(value), limit: UInt64(limit))
        }
        let count = Int(value)
        let (total, overflow) = count.multipliedReportingOverflow(by: max(minimumSize, 0))
        guard !overflow, total <= remaining else {
            throw .truncated(field: field, offset: offset, needed: overflow ? Int.max : total, available: remaining)
        }
        return count
    }

    /// Throws `trailingBytes` unless every byte has been read.
    @inlinable
    public func expectEnd() throws(ByteReadError) {
        if remaining != 0 { throw .trailingBytes(offset: offset, count: remaining) }
    }
}
