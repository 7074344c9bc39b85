import SwarmBase

/// A membership fact carried on the wire: piggy-backed on SWIM messages (gossip) and in push-pull
/// exchanges (full state).
public struct MembershipUpdate: Hashable, Sendable {
    public var id: NodeID
    public var address: PeerAddress
    public var incarnation: UInt64
    public var status: MemberStatus
    /// Present on alive updates and push-pull entries; omitted on suspect/dead/left gossip to keep it small.
    public var metadata: MemberMetadata?
    /// On suspect updates: who suspects, so receivers can count independent confirmations (Lifeguard).
    public var suspector: NodeID?

    public init(id: NodeID, address: PeerAddress, incarnation: UInt64, status: MemberStatus,
                metadata: MemberMetadata? = nil, suspector: NodeID? = nil) {
        self.id = id
        self.address = address
        self.incarnation = incarnation
        self.status = status
        self.metadata = metadata
        self.suspector = suspector
    }

    /// Whether this update overrides a known `(incarnation, status)`: a higher incarnation always does;
    /// the same incarnation does when the status is later in `alive < suspect < dead < left`.
    public func overrides(incarnation known: UInt64, status knownStatus: MemberStatus) -> Bool {
        incarnation > known || (incarnation == known && status.rawValue > knownStatus.rawValue)
    }
}
