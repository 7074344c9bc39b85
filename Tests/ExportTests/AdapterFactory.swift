import SwarmBase
import TestSupport
import Adapters

/// Small adapters with chosen or seeded factors, and the dense updates they stand for.
enum AdapterFactory {
    static let shape = LoRAModelShape(layerCount: 2, hiddenSize: 16, intermediateSize: 24,
                                      attentionHeadCount: 4, keyValueHeadCount: 2)
    static let hashA = String(repeating: "a", count: 64)
    static let hashB = String(repeating: "b", count: 64)

    /// Every layer and target of `shape`, A and B uniform in [-1, 1] scaled to modest updates.
    static func random(seed: UInt64, rank: Int = 4, alpha: Double = 8, targets: [LoRAProjection] = [.q, .v, .down],
                       shape: LoRAModelShape = shape, coreHash: String? = hashA) -> LoRAAdapter
    {
        var rng = SeededRandom(seed: seed)
        let config = LoRAAdapterConfig(rank: rank, alpha: alpha, targets: targets)
        var adapter = LoRAAdapter.zeros(config: config, model: shape,
                                        provenance: coreHash.map { AdapterProvenance(coreHash: $0, swarmtuneVersion: "test", seed: seed) })
        for slot in adapter.slots {
            var f = adapter.factors[slot]!
            f.a = f.a.map { _ in rng.nextSignedUnit() * 0.5 }
            f.b = f.b.map { _ in rng.nextSignedUnit() * 0.1 }
            adapter.factors[slot] = f
        }
        return adapter
    }

    /// One (layer 0, q_proj) slot of size out x in with the given factors (scale alpha / r).
    static func single(rank: Int, alpha: Double, out: Int, in inFeatures: Int, a: [Float], b: [Float]) -> LoRAAdapter {
        let config = LoRAAdapterConfig(rank: rank, alpha: alpha, targets: [.q])
        let f = LoRAFactors(rank: rank, inFeatures: inFeatures, outFeatures: out, a: a, b: b)
        return LoRAAdapter(config: config, factors: [LoRASlot(layer: 0, projection: .q): f])
    }

    /// scale·B·A as a dense row-major [out, in] array.
    static func update(_ adapter: LoRAAdapter, _ slot: LoRASlot) -> [Double] {
        let f = adapter.factors[slot]!
        let s = Double(adapter.config.scale)
        var out = [Double](repeating: 0, count: f.outFeatures * f.inFeatures)
        for i in 0..<f.outFeatures {
            for k in 0..<f.rank {
                let b = Double(f.b[i * f.rank + k]) * s
                for j in 0..<f.inFeatures { out[i * f.inFeatures + j] += b * Double(f.a[k * f.inFeatures + j]) }
            }
        }
        return out
    }

    /// ‖x − y‖ / ‖y‖ (Frobenius).
    static func relative(_ x: [Double], _ y: [Double]) -> Double {
        var num = 0.0, den = 0.0
        for i in x.indices { num += (x[i] - y[i]) * (x[i] - y[i]); den += y[i] * y[i] }
        return den > 0 ? (num / den).squareRoot() : num.squareRoot()
    }

    static func weightedSum(_ parts: [[Double]], _ weights: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: parts[0].count)
        for (p, w) in zip(parts, weights) { for i in out.indices { out[i] += w * p[i] } }
        return out
    }
}
