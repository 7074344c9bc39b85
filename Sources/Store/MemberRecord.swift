import SwarmBase

/// A swarm member as this node last knew it: what a restart reads to rejoin.
public struct MemberRecord: Hashable, Sendable {
    public let nodeID: NodeID
    /// Where it listens ("host:port").
    public let address: String
    /// Its membership state as the membership layer names it ("alive", "suspect", "dead", "left").
    public let state: String
    /// Its incarnation number (refutes stale suspicion).
    public let incarnation: Int64
    /// The last round it was heard from, nil when never.
    public let lastSeenRound: Int64?

    public init(nodeID: NodeID, address: String, state: String, incarnation: Int64, lastSeenRound: Int64?) {
        self.nodeID = nodeID
        self.address = address
        self.state = state
        self.incarnation = incarnation
        self.lastSeenRound = lastSeenRound
    }
}
