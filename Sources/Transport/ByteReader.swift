/// Reads little-endian fields from a frame payload, throwing a `FrameError` that names the field.
struct ByteReader {
    let kind: FrameKind
    let bytes: ArraySlice<UInt8>
    private(set) var offset: Int = 0

    init(kind: FrameKind, payload: ArraySlice<UInt8>) {
        self.kind = kind
        self.bytes = payload
    }

    var remaining: Int { bytes.count - offset }

    private func need(_ count: Int, _ field: String) throws(FrameError) {
        if count > remaining {
            throw .truncated(kind: kind, field: field, offset: offset, needed: count, available: remaining)
        }
    }

    private func byte(_ index: Int) -> UInt8 {
        bytes[bytes.startIndex + offset + index]
    }

    mutating func u8(_ field: String) throws(FrameError) -> UInt8 {
        try need(1, field)
        defer { offset += 1 }
        return byte(0)
    }

    mutating func u16(_ field: String) throws(FrameError) -> UInt16 {
        try need(2, field)
        defer { offset += 2 }
        return UInt16(byte(0)) | UInt16(byte(1)) << 8
    }

    mutating func u32(_ field: String) throws(FrameError) -> UInt32 {
        try need(4, field)
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(byte(i)) << UInt32(8 * i) }
        offset += 4
        return value
    }

    mutating func u64(_ field: String) throws(FrameError) -> UInt64 {
        try need(8, field)
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(byte(i)) << UInt64(8 * i) }
        offset += 8
        return value
    }

    mutating func raw(_ count: Int, _ field: String) throws(FrameError) -> ArraySlice<UInt8> {
        try need(count, field)
        let start = bytes.startIndex + offset
        offset += count
        return bytes[start..<(start + count)]
    }

    mutating func digest(_ field: String) throws(FrameError) -> Digest32 {
        Digest32(unchecked: Array(try raw(Digest32.byteCount, field)))
    }

    /// u16 length then UTF-8; enforces `limit` and, unless `allowEmpty`, non-emptiness.
    mutating func string16(_ field: String, limit: Int, allowEmpty: Bool = false) throws(FrameError) -> String {
        let length = Int(try u16(field + ".length"))
        if length > limit { throw .fieldTooLong(field: field, length: length, limit: limit) }
        if length == 0 && !allowEmpty { throw .emptyField(field: field) }
        let start = offset
        let data = try raw(length, field)
        guard let text = String(validating: data, as: UTF8.self) else {
            throw .invalidUTF8(field: field, offset: start)
        }
        return text
    }

    func expectEnd() throws(FrameError) {
        if remaining != 0 { throw .trailingBytes(kind: kind, count: remaining) }
    }
}
