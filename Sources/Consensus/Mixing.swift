/// One gossip round of Dec-LoRA: every node replaces its factors by the weighted average of its
/// own and its neighbours' (θ_i ← Σ_j w_ij θ_j), all from the values before the round.
public enum Mixing {
    /// Mixes `vectors` in place (all of one length) with `weights`.
    public static func mix(_ vectors: inout [[Float]], weights: MixingWeights) {
        let before = vectors
        for (i, row) in weights.weights.enumerated() {
            var out = [Double](repeating: 0, count: before[i].count)
            for (j, w) in row {
                let v = before[j]
                for k in 0..<out.count { out[k] += w * Double(v[k]) }
            }
            vectors[i] = out.map { Float($0) }
        }
    }

    /// The element-wise mean of the vectors.
    public static func mean(_ vectors: [[Float]]) -> [Float] {
        guard let first = vectors.first else { return [] }
        var acc = [Double](repeating: 0, count: first.count)
        for v in vectors { for k in 0..<acc.count { acc[k] += Double(v[k]) } }
        return acc.map { Float($0 / Double(vectors.count)) }
    }

    /// (1/n) Σ_i ‖θ_i − θ̄‖²: how far the nodes are from agreement.
    public static func consensusDistance(_ vectors: [[Float]]) -> Double {
        let m = mean(vectors)
        var total = 0.0
        for v in vectors { for k in 0..<m.count { let d = Double(v[k] - m[k]); total += d * d } }
        return vectors.isEmpty ? 0 : total / Double(vectors.count)
    }
}
