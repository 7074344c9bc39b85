import Foundation
import Scenario
import SwarmBase
import Testing

@Suite("Gamma and Dirichlet sampling")
struct DirichletTests {
    @Test("Gamma(shape) draws have mean and variance equal to the shape, within five standard errors",
          arguments: [0.3, 1.0, 2.5, 8.0])
    func gammaMoments(shape: Double) {
        var rng = SeededRandom(seed: 77)
        let n = 40_000
        let xs = (0..<n).map { _ in exp(rng.nextLogGamma(shape: shape)) }
        let mean = xs.reduce(0, +) / Double(n)
        let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
        // Standard error of the mean: sqrt(var/n); of the variance: sqrt((m4 - var^2)/n), with the
        // Gamma's fourth central moment m4 = 3a^2 + 6a.
        #expect(abs(mean - shape) < 5 * (shape / Double(n)).squareRoot())
        #expect(abs(variance - shape) < 5 * ((3 * shape * shape + 6 * shape - shape * shape) / Double(n)).squareRoot())
    }

    @Test("a tiny shape gives a finite logarithm where the draw itself would underflow")
    func tinyShape() {
        var rng = SeededRandom(seed: 5)
        let logs = (0..<1_000).map { _ in rng.nextLogGamma(shape: 1e-4) }
        #expect(logs.allSatisfy { $0.isFinite })
        #expect(logs.contains { exp($0) == 0 })
    }

    /// A scenario's alpha is any number above 0: a subnormal one made every log-Gamma draw
    /// -infinity, the normalised weights NaN, and the partitioner's next draw trap.
    @Test("the smallest positive shape still gives finite logarithms and a probability vector",
          arguments: [1e-320, Double.leastNonzeroMagnitude])
    func subnormalShape(alpha: Double) {
        var rng = SeededRandom(seed: 8)
        for _ in 0..<100 {
            #expect(rng.nextLogGamma(shape: alpha).isFinite)
            let p = rng.nextDirichlet(alpha: alpha, count: 4)
            #expect(p.allSatisfy { $0.isFinite && $0 >= 0 } && abs(p.reduce(0, +) - 1) < 1e-12, "\(p)")
        }
    }

    @Test("a Dirichlet draw is a probability vector; its components average 1/K")
    func dirichletMean() {
        var rng = SeededRandom(seed: 6)
        let k = 4, n = 20_000, alpha = 0.5
        var sums = Array(repeating: 0.0, count: k)
        for _ in 0..<n {
            let p = rng.nextDirichlet(alpha: alpha, count: k)
            #expect(abs(p.reduce(0, +) - 1) < 1e-12)
            #expect(p.allSatisfy { $0 >= 0 })
            for i in 0..<k { sums[i] += p[i] }
        }
        // Var(p_i) = (1/K)(1 - 1/K)/(K·alpha + 1).
        let sd = ((1.0 / Double(k)) * (1 - 1.0 / Double(k)) / (Double(k) * alpha + 1) / Double(n)).squareRoot()
        for s in sums { #expect(abs(s / Double(n) - 1 / Double(k)) < 5 * sd) }
    }

    @Test("a Dirichlet draw with a tiny alpha is a finite, nearly one-hot vector (where plain Gamma draws underflow to 0/0)")
    func tinyAlphaOneHot() {
        var rng = SeededRandom(seed: 8)
        let n = 1_000
        var concentrated = 0
        for _ in 0..<n {
            let p = rng.nextDirichlet(alpha: 1e-4, count: 4)
            #expect(p.allSatisfy { $0.isFinite })
            #expect(abs(p.reduce(0, +) - 1) < 1e-12)
            if p.max()! > 0.99 { concentrated += 1 }
        }
        // The top two log-Gamma draws differ by about Exp(3)/alpha, so a draw is below 0.99 with
        // probability about 3·alpha·ln(100) = 0.14%: 99% concentrated is ten standard deviations away.
        #expect(concentrated >= 990)
    }

    @Test("weighted index draws follow the weights and never pick a zero weight")
    func weightedIndex() {
        var rng = SeededRandom(seed: 9)
        let weights = [0.0, 1.0, 3.0, 0.0]
        var counts = [0, 0, 0, 0]
        let n = 40_000
        for _ in 0..<n { counts[rng.nextIndex(weights: weights)] += 1 }
        #expect(counts[0] == 0 && counts[3] == 0)
        let p = 0.75
        #expect(abs(Double(counts[2]) / Double(n) - p) < 5 * (p * (1 - p) / Double(n)).squareRoot())
    }
}
