import Consensus

/// TIES-merging (Yadav et al., 2023) of dense task vectors: trim, elect sign, disjoint mean.
enum TIES {
    /// Merges task vectors τᵢ (all the same shape) with weights wᵢ (summing to 1):
    /// 1. trim: each τᵢ keeps its ⌈density·count⌉ largest-magnitude entries (ties broken by index);
    /// 2. elect: per entry, the sign of Σ wᵢ·τ̂ᵢ (the side with more weighted mass);
    /// 3. disjoint mean: Σ wᵢ·τ̂ᵢ over the i whose τ̂ᵢ is non-zero with the elected sign, divided by
    ///    the sum of those wᵢ. Equal inputs at density 1 come back unchanged.
    static func merge(_ tasks: [Matrix], weights: [Double], density: Double) -> Matrix {
        let trimmed = tasks.map { trim($0, density: density) }
        let count = tasks[0].values.count
        var out = Matrix(zeros: tasks[0].rows, tasks[0].cols)
        for e in 0..<count {
            var mass = 0.0
            for (t, w) in zip(trimmed, weights) { mass += w * t.values[e] }
            if mass == 0 { continue }
            var sum = 0.0, weight = 0.0
            for (t, w) in zip(trimmed, weights) {
                let x = t.values[e]
                if x != 0, (x > 0) == (mass > 0) { sum += w * x; weight += w }
            }
            if weight > 0 { out.values[e] = sum / weight }
        }
        return out
    }

    /// Keeps the ⌈density·count⌉ entries of largest magnitude, zeroes the rest.
    static func trim(_ t: Matrix, density: Double) -> Matrix {
        let count = t.values.count
        let keep = min(count, max(0, Int((density * Double(count)).rounded(.up))))
        if keep == count { return t }
        var out = Matrix(zeros: t.rows, t.cols)
        if keep == 0 { return out }
        let order = t.values.indices.sorted { i, j in
            let a = abs(t.values[i]), b = abs(t.values[j])
            return a != b ? a > b : i < j
        }
        for i in order.prefix(keep) { out.values[i] = t.values[i] }
        return out
    }
}
