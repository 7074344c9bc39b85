import Consensus
import LM

extension ExchangedFactors {
    /// The consensus of several nodes' exchanged vectors, as the averaging mode defines agreement:
    /// the element-wise mean in `factors` and `frozen-a`; in `product`, per slot the rank-r
    /// factorisation of the mean update (1/n)·Σ B_i·A_i (`ProductMix`, the nodes' own mix with
    /// equal weights) and the element-wise mean of DoRA magnitudes. Nil for no vectors.
    /// `parameters` is the adapter layout (it supplies A in `frozen-a`).
    public func consensus(of vectors: [[Float]], parameters: LoRAParameters) -> [Float]? {
        guard let first = vectors.first else { return nil }
        let w = 1 / Double(vectors.count)
        return mix(own: first, selfWeight: w, neighbours: vectors.dropFirst().map { ($0, w) }, parameters: parameters).mixed
    }

    /// The consensus distance (1/n)·Σ_i d(θ_i, θ̄)², with d as `squaredDistance` measures it (in
    /// `product` mode between the updates B·A, where θ̄ is the exact mean update): computed from
    /// the pairs, (1/(2n²))·Σ_{i,j} d(θ_i, θ_j), so no full-size product is formed. Nil for no vectors.
    public func consensusDistance(of vectors: [[Float]], parameters: LoRAParameters) -> Double? {
        guard !vectors.isEmpty else { return nil }
        let n = vectors.count
        var sum = 0.0
        for i in 0..<n {
            for j in (i + 1)..<n { sum += squaredDistance(vectors[i], vectors[j], parameters: parameters) }
        }
        return sum / Double(n * n)
    }
}
