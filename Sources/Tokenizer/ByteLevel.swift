/// The GPT-2 byte-to-unicode alphabet that byte-level BPE vocabularies are written in.
///
/// Every byte gets a printable stand-in character, so a token made of arbitrary bytes
/// (including spaces, control bytes and pieces of multi-byte UTF-8) is a plain string:
/// printable bytes `!`...`~`, `¡`...`¬` and `®`...`ÿ` stand for themselves, the other 68
/// bytes are shifted to U+0100 and up in byte order (so a space is `Ġ`, a newline `Ċ`).
public enum ByteLevel {
    /// The stand-in scalar for each byte value.
    public static let scalarForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var shifted: UInt32 = 256
        for byte in 0..<256 {
            if isSelfMapped(UInt8(byte)) {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                table[byte] = Unicode.Scalar(shifted)!  // 256...323 are all valid scalars
                shifted += 1
            }
        }
        return table
    }()

    /// The byte a stand-in scalar represents, or nil for a scalar outside the alphabet.
    public static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = scalar.value
        if value < 256 {
            let byte = UInt8(value)
            return isSelfMapped(byte) ? byte : nil
        }
        guard value < 256 + 68 else { return nil }
        return shiftedBytes[Int(value - 256)]
    }

    /// Spells bytes in the alphabet, as a byte-level vocabulary writes them.
    public static func encode<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var scalars = String.UnicodeScalarView()
        for byte in bytes { scalars.append(scalarForByte[Int(byte)]) }
        return String(scalars)
    }

    /// The bytes a vocabulary string stands for. A scalar outside the alphabet (which only a
    /// malformed or mixed vocabulary has) contributes its own UTF-8 so that nothing is lost.
    public static func decode(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            if let byte = byte(for: scalar) {
                bytes.append(byte)
            } else {
                bytes.append(contentsOf: String(scalar).utf8)
            }
        }
        return bytes
    }

    /// Whether every scalar of `text` belongs to the alphabet.
    public static func isSpelledInAlphabet(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { byte(for: $0) != nil }
    }

    private static func isSelfMapped(_ byte: UInt8) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }

    /// The bytes behind U+0100..., in order.
    private static let shiftedBytes: [UInt8] = (0...255).map(UInt8.init).filter { !isSelfMapped($0) }
}
