import Exchange
import Foundation
import LM
import SwarmBase
import Testing

/// The consensus of several nodes' vectors as each averaging mode defines agreement
/// (`ExchangedFactors.consensus`, `consensusDistance`).
@Suite struct ExchangedConsensusTests {
    /// Σ over slots of B·A as dense out × in matrices (B from its transposed storage).
    static func products(_ p: LoRAParameters) -> [[Double]] {
        p.slots.map { s in
            let r = p.config.rank
            var m = [Double](repeating: 0, count: s.outputs * s.inputs)
            for o in 0..<s.outputs { for i in 0..<s.inputs { for k in 0..<r {
                m[o * s.inputs + i] += Double(p.bt(s)[k * s.outputs + o]) * Double(p.a(s)[k * s.inputs + i])
            } } }
            return m
        }
    }

    /// p with every slot's factors turned by an orthogonal rotation of rank space: B·R, Rᵀ·A.
    static func rotated(_ p: LoRAParameters, angle: Float) -> LoRAParameters {
        let q = p.copy()
        let (c, s) = (cos(angle), sin(angle))
        for slot in q.slots {
            for i in 0..<slot.inputs {
                let a0 = p.a(slot)[i], a1 = p.a(slot)[slot.inputs + i]
                q.a(slot)[i] = c * a0 + s * a1
                q.a(slot)[slot.inputs + i] = -s * a0 + c * a1
            }
            for o in 0..<slot.outputs {
                let b0 = p.bt(slot)[o], b1 = p.bt(slot)[slot.outputs + o]
                q.bt(slot)[o] = c * b0 + s * b1
                q.bt(slot)[slot.outputs + o] = -s * b0 + c * b1
            }
        }
        return q
    }

    @Test("in product mode the consensus distance is (1/n)·Σ‖B_i·A_i − mean‖² over the dense updates")
    func productDistanceMatchesTheDenseDefinition() throws {
        let adapters = (1...3).map { WireDTypeTests.adapter(seed: UInt64($0)) }
        let x = ExchangedFactors(layout: adapters[0], mode: .product)
        let got = try #require(x.consensusDistance(of: adapters.map { x.vector(of: $0) }, parameters: adapters[0]))
        let dense = adapters.map(Self.products)
        var expected = 0.0
        for s in dense[0].indices {
            for k in dense[0][s].indices {
                let mean = dense.reduce(0.0) { $0 + $1[s][k] } / 3
                for d in dense { expected += (d[s][k] - mean) * (d[s][k] - mean) }
            }
        }
        expected /= 3
        #expect(expected > 0.1)
        #expect(abs(got - expected) <= 1e-5 * expected, "\(got) against \(expected)")
    }

    @Test("factors that differ only by a rotation of rank space agree in product mode and not element-wise")
    func rotatedFactorsAreInProductConsensus() throws {
        let p = WireDTypeTests.adapter(seed: 7), q = Self.rotated(p, angle: 0.9)
        let product = ExchangedFactors(layout: p, mode: .product), factors = ExchangedFactors(layout: p, mode: .factors)
        let vectors = [product.vector(of: p), product.vector(of: q)]
        let distance = try #require(product.consensusDistance(of: vectors, parameters: p))
        #expect(distance < 1e-9)
        #expect(try #require(factors.consensusDistance(of: vectors, parameters: p)) > 0.01)
        // The consensus keeps the shared update; the element-wise mean of the factors shrinks it.
        let mean = try #require(product.consensus(of: vectors, parameters: p))
        let c = p.copy()
        product.write(mean, into: c)
        for (a, b) in zip(Self.products(c).joined(), Self.products(p).joined()) { #expect(abs(a - b) <= 1e-5) }
        #expect(product.squaredDistance(mean, vectors[0], parameters: p) < 1e-9)
    }
}
