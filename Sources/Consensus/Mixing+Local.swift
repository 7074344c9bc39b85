extension Mixing {
    /// One node's side of a gossip round: θ_i ← w_ii·θ_i + Σ_j w_ij·θ_j over the neighbours whose
    /// factors arrived and were accepted (the weights of the others were already returned to
    /// self, so `selfWeight + Σ w_ij = 1`). Sums in Double, so the result does not depend on the
    /// order the neighbours' frames arrived in beyond rounding of the final Float.
    public static func mixLocal(own: [Float], selfWeight: Double, neighbours: [(values: [Float], weight: Double)]) -> [Float] {
        var acc = own.map { selfWeight * Double($0) }
        for (values, weight) in neighbours {
            precondition(values.count == own.count, "accepted factors have the node's own length")
            for k in 0..<acc.count { acc[k] += weight * Double(values[k]) }
        }
        return acc.map { Float($0) }
    }

    /// The Euclidean norm ‖v‖.
    public static func norm(_ v: [Float]) -> Double {
        var sum = 0.0
        for x in v { sum += Double(x) * Double(x) }
        return sum.squareRoot()
    }

    /// ‖a − b‖², the squared distance between two nodes' factors.
    public static func squaredDistance(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count, "vectors of one adapter schema")
        var sum = 0.0
        for k in 0..<a.count { let d = Double(a[k]) - Double(b[k]); sum += d * d }
        return sum
    }
}
