/// Reads little-endian fields from a byte array, never past its end.
struct WireReader {
    let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    private func need(_ count: Int, _ field: String) throws(SWIMCodecError) {
        guard remaining >= count else {
            throw .truncated(field: field, offset: offset, needed: count, available: remaining)
        }
    }

    mutating func u8(_ field: String) throws(SWIMCodecError) -> UInt8 {
        try need(1, field)
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16(_ field: String) throws(SWIMCodecError) -> UInt16 {
        try need(2, field)
        defer { offset += 2 }
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    mutating func u32(_ field: String) throws(SWIMCodecError) -> UInt32 {
        try need(4, field)
        var value: UInt32 = 0
        for index in 0..<4 { value |= UInt32(bytes[offset + index]) << UInt32(8 * index) }
        offset += 4
        return value
    }

    mutating func u64(_ field: String) throws(SWIMCodecError) -> UInt64 {
        try need(8, field)
        var value: UInt64 = 0
        for index in 0..<8 { value |= UInt64(bytes[offset + index]) << UInt64(8 * index) }
        offset += 8
        return value
    }

    /// A u8-length-prefixed UTF-8 string of at most `limit` bytes.
    mutating func string(_ field: String, limit: Int) throws(SWIMCodecError) -> String {
        let start = offset
        let length = Int(try u8("\(field) length"))
        guard length <= limit else { throw .limitExceeded(field: field, offset: start, value: length, limit: limit) }
        try need(length, field)
        let slice = bytes[offset..<offset + length]
        guard let text = String(validating: slice, as: UTF8.self) else { throw .invalidUTF8(field: field, offset: offset) }
        offset += length
        return text
    }

    /// A count of elements that each take at least `minimumSize` bytes: rejected when over `limit` or when
    /// the remaining bytes could not hold that many, so input never drives a large allocation.
    mutating func count16(_ field: String, limit: Int, minimumSize: Int) throws(SWIMCodecError) -> Int {
        let start = offset
        let count = Int(try u16(field))
        try check(count, field, start, limit, minimumSize)
        return count
    }

    mutating func count32(_ field: String, limit: Int, minimumSize: Int) throws(SWIMCodecError) -> Int {
        let start = offset
        let count = Int(try u32(field))
        try check(count, field, start, limit, minimumSize)
        return count
    }

    mutating func count8(_ field: String, limit: Int, minimumSize: Int) throws(SWIMCodecError) -> Int {
        let start = offset
        let count = Int(try u8(field))
        try check(count, field, start, limit, minimumSize)
        return count
    }

    private func check(_ count: Int, _ field: String, _ start: Int, _ limit: Int, _ minimumSize: Int) throws(SWIMCodecError) {
        guard count <= limit else { throw .limitExceeded(field: field, offset: start, value: count, limit: limit) }
        guard count * minimumSize <= remaining else {
            throw .truncated(field: field, offset: offset, needed: count * minimumSize, available: remaining)
        }
    }
}
