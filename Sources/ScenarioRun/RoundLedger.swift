import Exchange
import LM
import Scenario

/// What the swarm did in each round, gathered as nodes complete it (at different virtual times):
/// per node its figures, and running sums of the exchanged vectors before and after the mix, from
/// which the round's consensus distance and mean (the consensus adapter) follow without keeping
/// every node's vector (in `product` mode, where agreement is between the products B·A, the vectors
/// are kept and measured by `ExchangedFactors.consensus`). A round is closed (turned into a `RunSummary.Round`) once no live node can
/// still complete it.
package struct RoundLedger {
    package struct Sums {
        package var nodes: [RunSummary.NodeRound] = []
        var after: [Double]
        var afterSquares = 0.0
        var before: [Double]
        var beforeSquares = 0.0
        var beforeCount = 0
        /// The relative product gaps of the nodes that mixed a neighbour this round.
        var gaps: [Double] = []
        /// `product` mode: the schema and layout that measure agreement.
        let product: ProductSpace?
        /// The vectors after the mix, in `nodes` order, when kept (`product` mode, per-node eval).
        var afterVectors: [[Float]] = []
        var beforeVectors: [[Float]] = []
        let keepVectors: Bool

        init(count: Int, product: ProductSpace?, keepVectors: Bool) {
            self.product = product
            self.keepVectors = keepVectors || product != nil
            after = [Double](repeating: 0, count: product == nil ? count : 0)
            before = [Double](repeating: 0, count: product == nil ? count : 0)
        }
    }

    /// What measures agreement in `product` mode: the exchanged schema and the adapter layout.
    package struct ProductSpace {
        let exchanged: ExchangedFactors
        let layout: LoRAParameters
    }

    let count: Int
    let product: ProductSpace?
    /// Whether each node's vector after the mix is kept for the round's eval (`Sums.nodeVectors`).
    let keepNodeVectors: Bool
    private(set) var open: [Int: Sums] = [:]

    /// A ledger for vectors of `exchanged`'s schema; `layout` is the adapter they belong to.
    /// `keepNodeVectors`: keep every node's vector after the mix (per-node eval).
    package init(exchanged: ExchangedFactors, layout: LoRAParameters, keepNodeVectors: Bool = false) {
        count = exchanged.count
        product = exchanged.mode == .product ? ProductSpace(exchanged: exchanged, layout: layout) : nil
        self.keepNodeVectors = keepNodeVectors
    }

    /// A node's exchanged vector when it sent its factors for `round` (after its local steps).
    mutating func sent(round: Int, vector: [Float]) {
        var s = open[round] ?? Sums(count: count, product: product, keepVectors: keepNodeVectors)
        if product != nil {
            s.beforeVectors.append(vector)
        } else {
            s.beforeSquares += Self.add(vector, to: &s.before)
        }
        s.beforeCount += 1
        open[round] = s
    }

    /// A node completed `round`: its figures, its vector after the mix and its mix's relative
    /// product gap (nil when it mixed no neighbour).
    package mutating func completed(round: Int, node: RunSummary.NodeRound, vector: [Float], productGap: Double?) {
        var s = open[round] ?? Sums(count: count, product: product, keepVectors: keepNodeVectors)
        s.nodes.append(node)
        if let productGap { s.gaps.append(productGap) }
        if s.keepVectors { s.afterVectors.append(vector) }
        if product == nil { s.afterSquares += Self.add(vector, to: &s.after) }
        open[round] = s
    }

    /// The rounds below `round` that are still open, taken out in order.
    package mutating func close(below round: Int) -> [(round: Int, sums: Sums)] {
        let due = open.keys.filter { $0 < round }.sorted()
        return due.map { r in (r, open.removeValue(forKey: r)!) }
    }

    /// Adds `v` into `sum`; returns ‖v‖².
    private static func add(_ v: [Float], to sum: inout [Double]) -> Double {
        var squares = 0.0
        for i in v.indices {
            let x = Double(v[i])
            sum[i] += x
            squares += x * x
        }
        return squares
    }
}

extension RoundLedger.Sums {
    /// The mean of the completed nodes' vectors after the mix (nil when none completed).
    /// In `product` mode, the rank-r factorisation of the mean update (`ExchangedFactors.consensus`).
    package var mean: [Float]? {
        guard !nodes.isEmpty else { return nil }
        if let product { return product.exchanged.consensus(of: afterVectors, parameters: product.layout) }
        let n = Double(nodes.count)
        return after.map { Float($0 / n) }
    }

    /// (1/n) Σ‖θ_i − θ̄‖² = (1/n) Σ‖θ_i‖² − ‖θ̄‖², after the mix (in `product` mode between the
    /// updates B·A: `ExchangedFactors.consensusDistance`).
    package var distanceAfter: Double? {
        if let product { return product.exchanged.consensusDistance(of: afterVectors, parameters: product.layout) }
        return Self.distance(sum: after, squares: afterSquares, n: nodes.count)
    }

    /// Each completed node's vector after the mix, by node index (empty unless kept).
    package var nodeVectors: [(node: Int, vector: [Float])] {
        zip(nodes, afterVectors).map { ($0.node, $1) }.sorted { $0.node < $1.node }
    }

    /// The mean over the nodes that mixed of their relative product gaps (`ProductGap.relative`:
    /// how far each mixed adapter's B·A is from the weighted mean of the products it mixed), nil
    /// when no node mixed.
    package var productGap: Double? { gaps.isEmpty ? nil : gaps.sorted().reduce(0, +) / Double(gaps.count) }

    /// The same over the vectors as sent (before the mix).
    var distanceBefore: Double? {
        if let product { return product.exchanged.consensusDistance(of: beforeVectors, parameters: product.layout) }
        return Self.distance(sum: before, squares: beforeSquares, n: beforeCount)
    }

    private static func distance(sum: [Double], squares: Double, n: Int) -> Double? {
        guard n > 0 else { return nil }
        let count = Double(n)
        var meanSquares = 0.0
        for x in sum { meanSquares += (x / count) * (x / count) }
        return max(0, squares / count - meanSquares)
    }
}
