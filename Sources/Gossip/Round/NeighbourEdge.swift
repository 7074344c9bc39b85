import SwarmBase

/// An undirected edge of an explicit gossip graph; the two ends are stored in id order, so (a, b) and
/// (b, a) are the same edge.
public struct NeighbourEdge: Hashable, Sendable {
    public let low: NodeID
    public let high: NodeID

    /// The edge between two distinct nodes; nil for a self-loop.
    public init?(_ a: NodeID, _ b: NodeID) {
        guard a != b else { return nil }
        low = min(a, b)
        high = max(a, b)
    }

    /// The other end of the edge, if `id` is one end.
    public func other(than id: NodeID) -> NodeID? {
        id == low ? high : id == high ? low : nil
    }
}
