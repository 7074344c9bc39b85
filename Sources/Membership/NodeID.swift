/// The identity of a swarm member, opaque to membership.
///
/// By convention it is the lowercase hex SHA-256 of the node certificate's public key (64 characters),
/// so it survives restarts and address changes. Membership only requires 1...64 bytes of printable ASCII
/// without spaces, which keeps it safe to log and cheap to put on the wire.
public struct NodeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The largest identifier accepted, in bytes.
    public static let maxLength = 64

    /// The identifier text.
    public let rawValue: String

    /// Creates an identifier, or returns nil when `rawValue` is empty, longer than `maxLength` bytes,
    /// or holds anything but printable ASCII (0x21...0x7E).
    public init?(_ rawValue: String) {
        let utf8 = rawValue.utf8
        guard !utf8.isEmpty, utf8.count <= NodeID.maxLength,
              utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) else { return nil }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.rawValue < rhs.rawValue }
}
