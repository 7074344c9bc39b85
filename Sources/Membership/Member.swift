import SwarmBase

/// One member of the swarm as seen by a node.
public struct Member: Hashable, Sendable, CustomStringConvertible {
    public var id: NodeID
    public var address: PeerAddress
    /// Only the member itself raises its incarnation (to refute a suspicion or after a restart).
    public var incarnation: UInt64
    public var status: MemberStatus
    public var metadata: MemberMetadata

    public init(id: NodeID, address: PeerAddress, incarnation: UInt64 = 0, status: MemberStatus = .alive,
                metadata: MemberMetadata = MemberMetadata()) {
        self.id = id
        self.address = address
        self.incarnation = incarnation
        self.status = status
        self.metadata = metadata
    }

    public var description: String { "\(id)@\(address) \(status) #\(incarnation)" }
}
