import Foundation
import SwarmBase

extension SeededRandom {
    /// A standard normal draw (Box–Muller; one of the pair is used, so each call costs two uniforms).
    public mutating func nextNormal() -> Double {
        let u1 = 1 - nextDouble()  // (0, 1]: log never sees 0
        let u2 = nextDouble()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// The logarithm of a Gamma(shape, 1) draw (Marsaglia & Tsang 2000, "A simple method for
    /// generating gamma variables"). For shape < 1 it uses Gamma(a) = Gamma(a + 1)·U^(1/a), kept in
    /// log space: with a tiny shape the draw itself underflows to 0, its logarithm does not.
    public mutating func nextLogGamma(shape: Double) -> Double {
        precondition(shape > 0 && shape.isFinite, "a Gamma shape must be positive and finite")
        if shape < 1 {
            // log U^(1/a), U in (0, 1]; a shape below about 1e-307 (a scenario file may say
            // 1e-320) would take it to -infinity, and a Dirichlet of all -infinity to NaN.
            let boost = max(log(1 - nextDouble()) / shape, -Double.greatestFiniteMagnitude)
            return nextLogGamma(shape: shape + 1) + boost
        }
        let d = shape - 1.0 / 3.0, c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double, v: Double
            repeat {
                x = nextNormal()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = 1 - nextDouble()
            if u < 1 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1 - v + log(v)) {
                return log(d) + log(v)
            }
        }
    }

    /// A draw from the symmetric Dirichlet(alpha, ..., alpha) over `count` categories: normalised
    /// Gamma(alpha) draws, normalised in log space so a tiny alpha gives a (near) one-hot vector
    /// instead of 0/0.
    public mutating func nextDirichlet(alpha: Double, count: Int) -> [Double] {
        precondition(count > 0, "a Dirichlet needs at least one category")
        var logs: [Double] = []
        for _ in 0..<count { logs.append(nextLogGamma(shape: alpha)) }
        let top = logs.max()!
        let weights = logs.map { exp($0 - top) }
        let total = weights.reduce(0, +)
        return weights.map { $0 / total }
    }

    /// An index drawn with probability proportional to `weights` (non-negative, not all zero).
    public mutating func nextIndex(weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        precondition(total > 0, "at least one weight must be positive")
        var target = nextDouble() * total
        for (i, w) in weights.enumerated() where w > 0 {
            target -= w
            if target < 0 { return i }
        }
        return weights.lastIndex { $0 > 0 }!
    }
}
