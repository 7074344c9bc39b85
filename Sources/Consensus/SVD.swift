/// Singular value decompositions for re-factorising LoRA updates: the product-mode gossip mix and
/// Export's merge methods.
///
/// `lowRank(left:right:)` decomposes a product P·Q (P: m x k, Q: k x n, k small) without forming
/// the m x n matrix: thin QR of P and Qᵀ reduces it to a k x k core whose SVD (one-sided Jacobi)
/// gives the singular triplets of P·Q exactly (up to rounding). `dense(_:rank:)` handles the
/// dense TIES result by subspace iteration.
public enum SVD {
    /// ΔW ≈ U·diag(σ)·Vᵀ with σ sorted in decreasing order.
    public struct Result: Sendable {
        /// m x t, orthonormal columns.
        public var u: Matrix
        public var sigma: [Double]
        /// n x t, orthonormal columns.
        public var v: Matrix
    }

    /// Householder thin QR of `a` (m x n): Q (m x k, orthonormal columns) and R (k x n, upper
    /// triangular), k = min(m, n). Rank-deficient input is fine: Q stays orthonormal.
    public static func qr(_ a: Matrix) -> (q: Matrix, r: Matrix) {
        let m = a.rows, n = a.cols, k = min(m, n)
        var w = a
        var reflectors: [[Double]] = []
        reflectors.reserveCapacity(k)
        for j in 0..<k {
            var v = [Double](repeating: 0, count: m - j)
            var norm2 = 0.0
            for i in j..<m { v[i - j] = w[i, j]; norm2 += w[i, j] * w[i, j] }
            let norm = norm2.squareRoot()
            if norm == 0 { reflectors.append([]); continue }
            let alpha = v[0] >= 0 ? -norm : norm
            v[0] -= alpha
            let vnorm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if vnorm == 0 { reflectors.append([]); continue }
            for i in v.indices { v[i] /= vnorm }
            for c in j..<n {
                var dot = 0.0
                for i in j..<m { dot += v[i - j] * w[i, c] }
                if dot == 0 { continue }
                for i in j..<m { w[i, c] -= 2 * dot * v[i - j] }
            }
            reflectors.append(v)
        }
        var r = Matrix(zeros: k, n)
        for i in 0..<k { for c in i..<n { r[i, c] = w[i, c] } }
        var q = Matrix(zeros: m, k)
        for i in 0..<k { q[i, i] = 1 }
        for j in stride(from: k - 1, through: 0, by: -1) {
            let v = reflectors[j]
            if v.isEmpty { continue }
            for c in 0..<k {
                var dot = 0.0
                for i in j..<m { dot += v[i - j] * q[i, c] }
                if dot == 0 { continue }
                for i in j..<m { q[i, c] -= 2 * dot * v[i - j] }
            }
        }
        return (q, r)
    }

    /// Full SVD of a small matrix by one-sided Jacobi rotations (on the columns of the taller
    /// orientation), accurate to rounding.
    public static func jacobi(_ a: Matrix) -> Result {
        if a.rows < a.cols {
            let t = jacobi(a.transposed)
            return Result(u: t.v, sigma: t.sigma, v: t.u)
        }
        let m = a.rows, n = a.cols
        var u = a
        var v = Matrix.identity(n)
        for _ in 0..<80 {
            var rotated = false
            for i in 0..<n {
                for j in (i + 1)..<max(i + 1, n) {
                    var alpha = 0.0, beta = 0.0, gamma = 0.0
                    for r in 0..<m {
                        let x = u[r, i], y = u[r, j]
                        alpha += x * x; beta += y * y; gamma += x * y
                    }
                    if gamma == 0 || abs(gamma) <= 1e-15 * (alpha * beta).squareRoot() { continue }
                    rotated = true
                    let zeta = (beta - alpha) / (2 * gamma)
                    let t = (zeta >= 0 ? 1.0 : -1.0) / (abs(zeta) + (1 + zeta * zeta).squareRoot())
                    let c = 1 / (1 + t * t).squareRoot(), s = c * t
                    for r in 0..<m {
                        let x = u[r, i], y = u[r, j]
                        u[r, i] = c * x - s * y
                        u[r, j] = s * x + c * y
                    }
                    for r in 0..<n {
                        let x = v[r, i], y = v[r, j]
                        v[r, i] = c * x - s * y
                        v[r, j] = s * x + c * y
                    }
                }
            }
            if !rotated { break }
        }
        var sigma = [Double](repeating: 0, count: n)
        for j in 0..<n {
            var s = 0.0
            for r in 0..<m { s += u[r, j] * u[r, j] }
            sigma[j] = s.squareRoot()
        }
        let order = (0..<n).sorted { sigma[$0] > sigma[$1] }
        var uo = Matrix(zeros: m, n), vo = Matrix(zeros: n, n)
        for (dst, src) in order.enumerated() {
            let s = sigma[src]
            for r in 0..<m { uo[r, dst] = s > 0 ? u[r, src] / s : 0 }
            for r in 0..<n { vo[r, dst] = v[r, src] }
        }
        return Result(u: uo, sigma: order.map { sigma[$0] }, v: vo)
    }

    /// SVD of left·right (m x k times k x n) in the k-dimensional space, never forming m x n.
    public static func lowRank(left: Matrix, right: Matrix) -> Result {
        let (qp, rp) = qr(left)                // left = qp·rp
        let (qq, rq) = qr(right.transposed)    // rightᵀ = qq·rq
        let core = rp.times(rq.transposed)     // left·right = qp·core·qqᵀ
        let s = jacobi(core)
        return Result(u: qp.times(s.u), sigma: s.sigma, v: qq.times(s.v))
    }

    /// The leading `rank` singular triplets of a dense matrix by subspace iteration with a
    /// seeded start. Exact (to rounding) when rank + oversampling covers min(m, n).
    public static func dense(_ a: Matrix, rank: Int, powerIterations: Int = 6, seed: UInt64 = 0x5EED) -> Result {
        let m = a.rows, n = a.cols
        let l = min(rank + 10, min(m, n))
        var state = seed
        func gaussian() -> Double {
            func uniform() -> Double {
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                return (Double(z >> 11) + 0.5) * 0x1p-53
            }
            let u1 = uniform(), u2 = uniform()
            return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
        }
        let omega = Matrix(rows: n, cols: l, values: (0..<(n * l)).map { _ in gaussian() })
        let at = a.transposed
        var q = qr(a.times(omega)).q
        for _ in 0..<powerIterations {
            let z = qr(at.times(q)).q
            q = qr(a.times(z)).q
        }
        // a ≈ q·(qᵀa); qᵀa = (aᵀq)ᵀ is l x n.
        let small = at.times(q)                // n x l = (qᵀa)ᵀ
        let s = jacobi(small)                  // small = us·σ·vsᵀ  =>  qᵀa = vs·σ·usᵀ
        return Result(u: q.times(s.v), sigma: s.sigma, v: s.u)
    }
}

extension SVD.Result {
    /// Rank-`rank` factors of the truncated decomposition, balanced: A = √σ·Vᵀ (rank x cols),
    /// B = U·√σ / scale (rows x rank), so scale·B·A is the best rank-`rank` approximation
    /// (Eckart–Young). Zero-padded when the decomposition has fewer directions than `rank`.
    public func balancedFactors(rank: Int, rows m: Int, cols n: Int, scale: Double = 1) -> (a: Matrix, b: Matrix) {
        var a = Matrix(zeros: rank, n), b = Matrix(zeros: m, rank)
        for j in 0..<min(rank, sigma.count) {
            let root = sigma[j].squareRoot()
            for c in 0..<n { a[j, c] = root * v[c, j] }
            for r in 0..<m { b[r, j] = root * u[r, j] / scale }
        }
        return (a, b)
    }
}

#if canImport(Glibc)
import Glibc
#endif
