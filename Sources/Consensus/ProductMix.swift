/// One node's LoRA factors of one adapted projection, in the layout the node trains and sends:
/// A [rank, inputs] and Bᵀ [rank, outputs], both row-major. The update is ΔW = scale·B·A with
/// B = (Bᵀ)ᵀ; the scale is the same on every node of a swarm (one schema), so mixes leave it out.
public struct SlotFactors: Sendable, Equatable {
    public var rank: Int
    public var inputs: Int
    public var outputs: Int
    public var a: [Float]
    public var bt: [Float]

    public init(rank: Int, inputs: Int, outputs: Int, a: [Float], bt: [Float]) {
        precondition(a.count == rank * inputs && bt.count == rank * outputs, "SlotFactors: \(a.count), \(bt.count) values for rank \(rank), \(inputs) in, \(outputs) out")
        self.rank = rank
        self.inputs = inputs
        self.outputs = outputs
        self.a = a
        self.bt = bt
    }

    /// A as a matrix (rank x inputs).
    var aMatrix: Matrix { Matrix(rows: rank, cols: inputs, floats: a) }
    /// B as a matrix (outputs x rank), scaled by `weight`.
    func bMatrix(scale weight: Double = 1) -> Matrix { Matrix(rows: rank, cols: outputs, floats: bt, scale: weight).transposed }
}

/// The `product` averaging mode for one slot: the weighted mean of the products,
/// M = w_ii·B_i·A_i + Σ_j w_ij·B_j·A_j, re-factorised to the node's rank by truncated SVD — the best
/// rank-r approximation of M (Eckart–Young). M is never formed: it is the product of
/// [w_ii B_i, w_ij B_j, ...] and [A_i; A_j; ...] and `SVD.lowRank` works in that small space.
///
/// The factorisation of a product is free up to an invertible r x r matrix; the mix picks the
/// balanced one (A = √σ·Vᵀ, B = U·√σ) rotated by the orthogonal matrix that brings it closest to the
/// node's own factors (Procrustes), so a node's factors (and its optimizer moments) do not jump to
/// an arbitrary basis every round. Directions the mean does not have (σ_j ≤ 1e-6·σ_1, or none at
/// all when every B is 0) keep the node's own row of A with a zero column of B: the product is
/// unchanged and the direction can still learn (A and B both zero would have zero gradients).
public enum ProductMix {
    /// ‖M − B'·A'‖_F of a result (B', A') and ‖M‖_F, for a node's own factors, its self weight and
    /// the accepted neighbours' factors with their weights: the product gap of one slot.
    public static func gap(of result: SlotFactors, own: SlotFactors, selfWeight: Double,
                           neighbours: [(factors: SlotFactors, weight: Double)]) -> (absolute: Double, exactNorm: Double)
    {
        let (left, right) = stacked(own: own, selfWeight: selfWeight, neighbours: neighbours)
        return LowRankNorm.difference(left, right, result.bMatrix(), result.aMatrix)
    }

    /// ‖B_x·A_x − B_y·A_y‖²_F, through Gram matrices (never outputs x inputs): how far apart two
    /// nodes' updates of one slot are, whatever basis each holds its factors in.
    public static func squaredDistance(_ x: SlotFactors, _ y: SlotFactors) -> Double {
        LowRankNorm.squared(x.bMatrix().hstack(y.bMatrix(scale: -1)), x.aMatrix.vstack(y.aMatrix))
    }

    /// The product-mode mix of one slot (see the type's comment); the result has the own rank.
    public static func mix(own: SlotFactors, selfWeight: Double,
                           neighbours: [(factors: SlotFactors, weight: Double)]) -> SlotFactors
    {
        let rank = own.rank, m = own.outputs, n = own.inputs
        let (left, right) = stacked(own: own, selfWeight: selfWeight, neighbours: neighbours)
        let svd = SVD.lowRank(left: left, right: right)
        var (a, b) = svd.balancedFactors(rank: rank, rows: m, cols: n)
        let ownA = own.aMatrix, ownB = own.bMatrix()
        let top = svd.sigma.first ?? 0
        for j in 0..<rank where j >= svd.sigma.count || top == 0 || svd.sigma[j] <= 1e-6 * top {
            for c in 0..<n { a[j, c] = ownA[j, c] }
            for r in 0..<m { b[r, j] = 0 }
        }
        if let rotation = procrustes(b.transposed.times(ownB).adding(a.times(ownA.transposed))) {
            b = b.times(rotation)
            a = rotation.transposed.times(a)
        }
        return SlotFactors(rank: rank, inputs: n, outputs: m, a: a.floats, bt: b.transposed.floats)
    }

    /// [w_ii B_i, w_ij B_j, ...] and [A_i; A_j; ...]: their product is M.
    static func stacked(own: SlotFactors, selfWeight: Double,
                        neighbours: [(factors: SlotFactors, weight: Double)]) -> (left: Matrix, right: Matrix)
    {
        var left = own.bMatrix(scale: selfWeight), right = own.aMatrix
        for (f, w) in neighbours {
            precondition(f.inputs == own.inputs && f.outputs == own.outputs, "factors of one slot")
            left = left.hstack(f.bMatrix(scale: w))
            right = right.vstack(f.aMatrix)
        }
        return (left, right)
    }

    /// The orthogonal R maximising tr(Rᵀ·c) (R = U·Vᵀ for c = U·Σ·Vᵀ), nil when c is singular
    /// (the polar factor is not unique and the SVD leaves a column of U zero).
    static func procrustes(_ c: Matrix) -> Matrix? {
        let s = SVD.jacobi(c)
        guard let top = s.sigma.first, top > 0, s.sigma.allSatisfy({ $0 > 1e-9 * top }) else { return nil }
        return s.u.times(s.v.transposed)
    }
}

extension Matrix {
    /// self + other, element-wise.
    func adding(_ other: Matrix) -> Matrix {
        precondition(rows == other.rows && cols == other.cols)
        return Matrix(rows: rows, cols: cols, values: zip(values, other.values).map { $0 + $1 })
    }
}
