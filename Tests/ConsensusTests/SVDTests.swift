import Testing
@testable import Consensus

@Suite struct SVDTests {
    @Test func lowRankSVDMatchesTheDenseProduct() {
        var rng = ProductMixTests.Generator(state: 99)
        let left = Matrix(rows: 30, cols: 6, values: (0..<180).map { _ in Double(rng.next()) })
        let right = Matrix(rows: 6, cols: 20, values: (0..<120).map { _ in Double(rng.next()) })
        let svd = SVD.lowRank(left: left, right: right)
        let product = left.times(right)
        var rebuilt = Matrix(zeros: 30, 20)
        for j in svd.sigma.indices { for r in 0..<30 { for c in 0..<20 { rebuilt[r, c] += svd.u[r, j] * svd.sigma[j] * svd.v[c, j] } } }
        var diff = 0.0
        for i in rebuilt.values.indices { diff = max(diff, abs(rebuilt.values[i] - product.values[i])) }
        #expect(diff < 1e-10)
        #expect(zip(svd.sigma, svd.sigma.dropFirst()).allSatisfy { $0 >= $1 })
        // Orthonormal columns.
        let g = svd.u.gram
        for i in 0..<g.rows { for j in 0..<g.cols { #expect(abs(g[i, j] - (i == j ? 1 : 0)) < 1e-10) } }
        // The dense path agrees on the leading singular values.
        let dense = SVD.dense(product, rank: 3)
        for j in 0..<3 { #expect(abs(dense.sigma[j] - svd.sigma[j]) < 1e-8 * svd.sigma[0]) }
    }
}
