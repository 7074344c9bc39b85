/// A node's identity: SHA-256 of the DER-encoded SubjectPublicKeyInfo of its certificate's key.
///
/// Derived from the key, not chosen: a node can only present an id whose private key it holds,
/// because the transport computes the id from the peer certificate that TLS verified. The one
/// identity type of every layer (membership, transport, the node, the store); hex only at the edges.
public struct NodeID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The SHA-256 digest of the public key.
    public let digest: Digest32

    public init(digest: Digest32) {
        self.digest = digest
    }

    /// Parses the 64-character hex form; nil for anything else.
    public init?(hex: String) {
        guard let digest = Digest32(hex: hex) else { return nil }
        self.digest = digest
    }

    /// Full lowercase hex (64 characters): files, wire-independent logs, the command line.
    public var hex: String { digest.hex }

    /// First 12 hex characters, for log lines.
    public var short: String { String(digest.hex.prefix(12)) }

    public var description: String { short }

    /// Ordered by bytes: every node sorts a membership view the same way.
    public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.digest < rhs.digest }
}
