import Consensus
import SwarmBase

/// How a node finds its gossip neighbours in its membership view: a rule every node applies
/// identically, so two nodes with the same view agree on who neighbours whom and the relation is
/// symmetric (j is i's neighbour exactly when i is j's).
public enum NeighbourRule: Sendable, Equatable {
    /// A `Consensus.Topology` (ring, regular-k circulant, full) laid over the alive ids in sorted order.
    case topology(Topology)
    /// A fixed graph by node id; an edge counts while both ends are alive.
    case explicit(Set<NeighbourEdge>)

    /// `id`'s neighbours among `alive` (which may or may not contain `id`; order and repeats do not
    /// matter), sorted. Empty when `id` is alone.
    public func neighbours(of id: NodeID, alive: [NodeID]) -> [NodeID] {
        switch self {
        case let .topology(topology):
            let members = Array(Set(alive).union([id])).sorted()
            guard let index = members.firstIndex(of: id) else { return [] }
            return topology.neighbours(count: members.count)[index].map { members[$0] }.sorted()
        case let .explicit(edges):
            let members = Set(alive)
            return edges.compactMap { $0.other(than: id) }.filter { members.contains($0) }.sorted()
        }
    }
}
