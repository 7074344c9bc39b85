/// A node's identity: SHA-256 of the DER-encoded SubjectPublicKeyInfo of its certificate's key.
///
/// Derived from the key, not chosen: a node can only present an id whose private key it holds,
/// because the transport computes the id from the peer certificate that TLS verified.
public struct NodeID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The SHA-256 digest of the public key.
    public let digest: Digest32

    public init(digest: Digest32) {
        self.digest = digest
    }

    /// Parses the 64-character hex form.
    public init?(hex: String) {
        guard let digest = Digest32(hex: hex) else { return nil }
        self.digest = digest
    }

    /// Full lowercase hex (64 characters).
    public var hex: String { digest.hex }

    /// First 12 hex characters, for logs.
    public var short: String { String(digest.hex.prefix(12)) }

    public var description: String { short }

    public static func < (lhs: NodeID, rhs: NodeID) -> Bool {
        lhs.digest.bytes.lexicographicallyPrecedes(rhs.digest.bytes)
    }
}
