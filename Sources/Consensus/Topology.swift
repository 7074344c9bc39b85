/// Who exchanges factors with whom: a symmetric neighbour relation over the live nodes.
public enum Topology: Sendable, Equatable {
    /// Each node with the next and the previous one (in node order).
    case ring
    /// Everyone with everyone.
    case full
    /// Each node with the k/2 nearest on each side of the ring (k even).
    case regular(k: Int)

    public init?(name: String) {
        switch name {
        case "ring": self = .ring
        case "full": self = .full
        default:
            guard name.hasPrefix("regular-"), let k = Int(name.dropFirst(8)), k >= 2, k % 2 == 0 else { return nil }
            self = .regular(k: k)
        }
    }

    /// Neighbours of every member of `nodes` (indices into `nodes`), symmetric, without self.
    public func neighbours(count n: Int) -> [[Int]] {
        guard n > 1 else { return Array(repeating: [], count: n) }
        var sets = Array(repeating: Set<Int>(), count: n)
        let reach: Int
        switch self {
        case .full: reach = n
        case .ring: reach = 1
        case let .regular(k): reach = k / 2
        }
        for i in 0..<n {
            for d in 1...max(1, min(reach, n - 1)) {
                let j = (i + d) % n
                if j != i { sets[i].insert(j); sets[j].insert(i) }
            }
        }
        return sets.map { $0.sorted() }
    }
}

/// Metropolis-Hastings mixing weights: w_ij = 1 / (1 + max(d_i, d_j)) for neighbours,
/// w_ii = 1 − Σ_j w_ij. Symmetric and doubly stochastic for any symmetric graph, so mixing keeps
/// the network average exactly and contracts the spread toward it on a connected graph.
public struct MixingWeights: Sendable, Equatable {
    /// weights[i] lists (j, w_ij) including (i, w_ii).
    public let weights: [[(Int, Double)]]

    public static func == (a: MixingWeights, b: MixingWeights) -> Bool {
        a.weights.count == b.weights.count && zip(a.weights, b.weights).allSatisfy { x, y in
            x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        }
    }

    public init(neighbours: [[Int]]) {
        let degree = neighbours.map(\.count)
        weights = neighbours.enumerated().map { i, ns in
            var row = ns.map { j in (j, 1 / Double(1 + max(degree[i], degree[j]))) }
            row.append((i, 1 - row.reduce(0) { $0 + $1.1 }))
            return row.sorted { $0.0 < $1.0 }
        }
    }

    /// The dense matrix (for tests and reports).
    public var matrix: [[Double]] {
        var m = Array(repeating: Array(repeating: 0.0, count: weights.count), count: weights.count)
        for (i, row) in weights.enumerated() { for (j, w) in row { m[i][j] = w } }
        return m
    }
}
