/// Bounds-checked little-endian reading over untrusted bytes.
///
/// Every read names the field it is for, so a malformed file fails with the field and offset at
/// fault instead of trapping.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    mutating func read<T: FixedWidthInteger>(_: T.Type, field: String) throws(GGUFError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else {
            throw .truncated(field: field, offset: offset, needed: size, available: remaining)
        }
        let value = T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += size
        return value
    }

    mutating func readFloat(field: String) throws(GGUFError) -> Float {
        Float(bitPattern: try read(UInt32.self, field: field))
    }

    mutating func readDouble(field: String) throws(GGUFError) -> Double {
        Double(bitPattern: try read(UInt64.self, field: field))
    }

    /// A GGUF string: u64 length then that many UTF-8 bytes (not NUL-terminated).
    mutating func readString(field: String, limit: Int) throws(GGUFError) -> String {
        let start = offset
        let length = try read(UInt64.self, field: "\(field) length")
        guard length <= UInt64(limit) else {
            throw .tooLarge(field: field, offset: start, value: length, limit: UInt64(limit))
        }
        let n = Int(length)
        guard remaining >= n else {
            throw .truncated(field: field, offset: offset, needed: n, available: remaining)
        }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
        offset += n
        // GGUF strings are UTF-8; a tokenizer vocabulary may hold byte pieces that are not valid
        // UTF-8 on their own, which `String(decoding:)` repairs with U+FFFD. Keep that behaviour
        // but refuse nothing: the tokenizer validates what it needs.
        return String(decoding: slice, as: UTF8.self)
    }
}
