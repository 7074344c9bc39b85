/// A 32-byte digest: node ids, core hashes and adapter schema hashes are all this size.
///
/// Bytes inside the program; lowercase hex only at the edges (logs, files, the command line).
public struct Digest32: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Number of bytes in a digest.
    public static let byteCount = 32

    /// The 32 bytes, in wire order.
    public let bytes: [UInt8]

    /// Wraps exactly 32 bytes; returns nil for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = Array(bytes)
    }

    /// Parses 64 hex characters (either case); returns nil otherwise.
    public init?(hex: String) {
        guard let bytes = Hex.decode(hex), bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    /// Wraps bytes the caller guarantees are 32 long (a digest function's output).
    public init(unchecked bytes: [UInt8]) {
        precondition(bytes.count == Self.byteCount, "a Digest32 holds exactly 32 bytes")
        self.bytes = bytes
    }

    /// All-zero digest: "no schema yet".
    public static let zero = Digest32(unchecked: [UInt8](repeating: 0, count: byteCount))

    /// Lowercase hex, 64 characters.
    public var hex: String { Hex.encode(bytes) }

    public var description: String { hex }

    public static func < (lhs: Digest32, rhs: Digest32) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}

/// Lowercase hexadecimal text for bytes, and back.
public enum Hex {
    /// Lowercase hex of `bytes`, two characters per byte.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of an even-length hex string (either case), or nil for anything else.
    public static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
