import SwarmBase

/// One adapter exchange with a peer: what was sent or received, and whether it was mixed in.
public struct ExchangeRecord: Hashable, Sendable {
    /// Which way the adapter went.
    public enum Direction: String, Hashable, Sendable {
        case sent, received
    }

    public let peer: NodeID
    public let round: Int64
    public let direction: Direction
    /// Bytes on the wire.
    public let bytes: Int64
    /// L2 norm of the adapter (or of its difference to ours), as the node measured it.
    public let norm: Double
    /// Whether the update was accepted into the mix.
    public let accepted: Bool
    /// Why it was refused (or any remark), nil when there is nothing to say.
    public let reason: String?

    public init(peer: NodeID, round: Int64, direction: Direction, bytes: Int64, norm: Double, accepted: Bool, reason: String?) {
        self.peer = peer
        self.round = round
        self.direction = direction
        self.bytes = bytes
        self.norm = norm
        self.accepted = accepted
        self.reason = reason
    }
}
