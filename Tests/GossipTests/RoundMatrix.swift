/// Small dense-matrix checks for the mixing matrices the round machines produce.
enum RoundMatrix {
    static func rowSums(_ m: [[Double]]) -> [Double] { m.map { $0.reduce(0, +) } }

    static func columnSums(_ m: [[Double]]) -> [Double] {
        m.indices.map { j in m.reduce(0) { $0 + $1[j] } }
    }

    /// Largest |a_ij − a_ji|.
    static func asymmetry(_ m: [[Double]]) -> Double {
        var worst = 0.0
        for i in m.indices { for j in m.indices { worst = max(worst, abs(m[i][j] - m[j][i])) } }
        return worst
    }

    static func apply(_ m: [[Double]], _ v: [Double]) -> [Double] {
        m.map { row in zip(row, v).reduce(0) { $0 + $1.0 * $1.1 } }
    }

    /// The second-largest eigenvalue modulus of a symmetric doubly stochastic matrix: power iteration
    /// on the matrix deflated by its top eigenpair (1, the all-ones direction).
    static func secondEigenvalueModulus(_ m: [[Double]], iterations: Int = 2000) -> Double {
        let n = m.count
        let deflated = m.map { row in row.map { $0 - 1 / Double(n) } }
        var v = (0..<n).map { Double($0 % 3) - 0.7 + Double($0) * 0.01 }
        var estimate = 0.0
        for _ in 0..<iterations {
            // Two steps at a time so a negative dominant eigenvalue converges too (λ² is positive).
            let w = apply(deflated, apply(deflated, v))
            let norm = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let previousNorm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0, previousNorm > 0 else { return 0 }
            estimate = (norm / previousNorm).squareRoot()
            v = w.map { $0 / norm }
        }
        return estimate
    }

    /// (1/n) Σ_i ‖x_i − x̄‖².
    static func consensusDistance(_ values: [[Double]]) -> Double {
        guard let first = values.first else { return 0 }
        var mean = [Double](repeating: 0, count: first.count)
        for v in values { for k in mean.indices { mean[k] += v[k] / Double(values.count) } }
        var total = 0.0
        for v in values { for k in mean.indices { total += (v[k] - mean[k]) * (v[k] - mean[k]) } }
        return total / Double(values.count)
    }
}
