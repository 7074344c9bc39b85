import SwarmBase

/// The weights of one node's mix for one round: θ_i ← w_ii·θ_i + Σ_j w_ij·θ_j over the neighbours
/// whose factors arrived in time. Metropolis-Hastings: w_ij = 1 / (1 + max(d_i, d_j)) with both degrees
/// as carried in the round's frames, and w_ii = 1 − Σ_j w_ij (so the row sums to 1 up to rounding and
/// w_ii ≥ 1 / (1 + d_i) > 0).
public struct RoundMix: Hashable, Sendable {
    public let round: UInt64
    /// This node's degree d_i for the round (the one its frames carried).
    public let degree: Int
    /// w_ii, the weight of the node's own factors.
    public let selfWeight: Double
    /// w_ij for each neighbour mixed, sorted by id.
    public let neighbours: [NeighbourWeight]

    public init(round: UInt64, degree: Int, selfWeight: Double, neighbours: [NeighbourWeight]) {
        self.round = round
        self.degree = degree
        self.selfWeight = selfWeight
        self.neighbours = neighbours
    }

    /// The weight this mix gives `id`'s factors (0 when not mixed); `own` is this node's id.
    public func weight(of id: NodeID, own: NodeID) -> Double {
        id == own ? selfWeight : neighbours.first { $0.id == id }?.weight ?? 0
    }
}

/// One neighbour's share of a mix.
public struct NeighbourWeight: Hashable, Sendable {
    public let id: NodeID
    /// The degree the neighbour's frame carried.
    public let degree: Int
    public let weight: Double

    public init(id: NodeID, degree: Int, weight: Double) {
        self.id = id
        self.degree = degree
        self.weight = weight
    }

    /// The Metropolis-Hastings weight between nodes of degrees `a` and `b`.
    public static func metropolis(_ a: Int, _ b: Int) -> Double { 1 / Double(1 + max(a, b)) }
}
