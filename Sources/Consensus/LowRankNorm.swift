/// Frobenius norms of low-rank products through their Gram matrices (never m x n).
public enum LowRankNorm {
    /// ‖P·Q‖²_F = Σ (PᵀP) ∘ (QQᵀ).
    public static func squared(_ p: Matrix, _ q: Matrix) -> Double {
        let gp = p.gram, gq = q.transposed.gram
        var sum = 0.0
        for i in gp.values.indices { sum += gp.values[i] * gq.values[i] }
        return max(0, sum)
    }

    /// (‖P₂Q₂ − P₁Q₁‖_F, ‖P₁Q₁‖_F), with P₁Q₁ the reference.
    public static func difference(_ p1: Matrix, _ q1: Matrix, _ p2: Matrix, _ q2: Matrix) -> (absolute: Double, exactNorm: Double) {
        let diff = squared(p2.hstack(p1.scaled(-1)), q2.vstack(q1))
        return (diff.squareRoot(), squared(p1, q1).squareRoot())
    }
}
