import SwarmBase

/// A factors frame on its way to one neighbour, as `NodeConfiguration.rewriteOutgoingFactors` (fault
/// injection) sees and rewrites it.
public struct OutgoingFactors: Sendable, Equatable {
    /// The round the node is sending for (the body may claim another).
    public var round: UInt64
    /// The neighbour it goes to.
    public var peer: NodeID
    /// The payload body (`Gossip.FactorsMessage` encoded).
    public var body: [UInt8]
    /// The sender the payload claims; nil is the truth (this node). Another id is a forgery: the
    /// receiving transport refuses it and closes the connection.
    public var claimedSender: NodeID?

    public init(round: UInt64, peer: NodeID, body: [UInt8], claimedSender: NodeID? = nil) {
        self.round = round
        self.peer = peer
        self.body = body
        self.claimedSender = claimedSender
    }
}
