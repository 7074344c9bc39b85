import SwarmBase

extension NodeID {
    /// A test id spelled by a short name: the name's UTF-8 bytes, zero-padded to 32, so ids sort
    /// like their names and read back (`name`) in assertions.
    static func named(_ name: String) -> NodeID {
        let utf8 = Array(name.utf8)
        precondition(!utf8.isEmpty && utf8.count <= Digest32.byteCount, "a test id name is 1...32 bytes")
        return NodeID(digest: Digest32(unchecked: utf8 + [UInt8](repeating: 0, count: Digest32.byteCount - utf8.count)))
    }

    /// The name a `named` id was made from.
    var name: String { String(decoding: digest.bytes.prefix { $0 != 0 }, as: UTF8.self) }
}
