import Testing
import Adapters
@testable import Export

/// Inspection numbers against dense computations on small constructed adapters.
@Suite struct InspectionTests {
    static func frobenius(_ x: [Double]) -> Double { x.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    @Test func identicalAdaptersAreAtZeroDistanceWithNoProductGap() throws {
        let a = AdapterFactory.random(seed: 3)
        let r = try AdapterInspection.inspect([a, a, a], names: ["a", "b", "c"])
        #expect(r.updateDistance.flatMap { $0 }.allSatisfy { $0 < 1e-9 })
        #expect(r.factorDistance!.flatMap { $0 }.allSatisfy { $0 < 1e-9 })
        #expect(r.consensusDistance! < 1e-12)
        #expect(r.productGap! < 1e-6)
    }

    @Test func updateNormsDistancesAndGapMatchDenseComputation() throws {
        let a = AdapterFactory.random(seed: 1), b = AdapterFactory.random(seed: 2)
        let r = try AdapterInspection.inspect([a, b], names: ["a", "b"])
        var distSq = 0.0, gapSq = 0.0
        for (k, slot) in a.slots.enumerated() {
            let ua = AdapterFactory.update(a, slot), ub = AdapterFactory.update(b, slot)
            #expect(abs(r.modules[0][k].updateNorm - Self.frobenius(ua)) < 1e-6 * max(1, Self.frobenius(ua)))
            distSq += zip(ua, ub).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            // mean of updates minus the update of the mean factors
            let fa = a.factors[slot]!, fb = b.factors[slot]!
            let mean = LoRAAdapter(config: a.config, factors: [slot: LoRAFactors(
                rank: fa.rank, inFeatures: fa.inFeatures, outFeatures: fa.outFeatures,
                a: zip(fa.a, fb.a).map { ($0 + $1) / 2 }, b: zip(fa.b, fb.b).map { ($0 + $1) / 2 })])
            let um = AdapterFactory.update(mean, slot)
            gapSq += zip(zip(ua, ub), um).reduce(0) { acc, t in let d = (t.0.0 + t.0.1) / 2 - t.1; return acc + d * d }
        }
        #expect(abs(r.updateDistance[0][1] - distSq.squareRoot()) < 1e-6 * max(1, distSq.squareRoot()))
        #expect(abs(r.productGap! - gapSq.squareRoot()) < 1e-5 * max(1, gapSq.squareRoot()))
        #expect(abs(r.consensusDistance! - r.factorDistance![0][1] * r.factorDistance![0][1] / 4) < 1e-6 * max(1, r.consensusDistance!))
    }

    @Test func aRankOneUpdateHasEffectiveRankOne() throws {
        let out = 5, inp = 4
        var a = [Float](repeating: 0, count: 2 * inp), b = [Float](repeating: 0, count: out * 2)
        for i in 0..<inp { a[i] = Float(i + 1) }          // only the first rank row is used
        for o in 0..<out { b[o * 2] = Float(o) - 2 }
        let adapter = AdapterFactory.single(rank: 2, alpha: 2, out: out, in: inp, a: a, b: b)
        let r = try AdapterInspection.inspect([adapter], names: ["one"])
        #expect(r.modules[0][0].singularValues.count == 1)
        #expect(abs(r.modules[0][0].effectiveRank - 1) < 1e-9)
        #expect(r.factorDistance![0][0] == 0)
    }
}

/// Inspection refuses adapters it cannot compare instead of reading past their factors.
@Suite struct InspectionRefusalTests {
    @Test func sameRankButDifferentModuleSizesIsRefusedNamingBothAndTheModule() throws {
        let small = AdapterFactory.random(seed: 1)
        let wider = LoRAModelShape(layerCount: 2, hiddenSize: 32, intermediateSize: 48, attentionHeadCount: 4, keyValueHeadCount: 2)
        let large = AdapterFactory.random(seed: 2, shape: wider)
        #expect(small.slots == large.slots && small.config.rank == large.config.rank)
        #expect {
            try AdapterInspection.inspect([small, large], names: ["small", "large"])
        } throws: { error in
            guard case let .layoutMismatch(path, other, reason) = error as? ExportError else { return false }
            return path == "large" && other == "small" && reason.contains("layer 0") && reason.contains("q_proj")
                && reason.contains("32") && reason.contains("16")
        }
    }
}
