import Consensus
import SwarmBase
import TestSupport
import Testing
import Adapters
@testable import Export

/// Merge methods on constructed cases whose exact answer is known.
@Suite struct MergeMethodTests {
    typealias F = AdapterFactory

    @Test(arguments: MergeMethod.allCases)
    func equalAdaptersComeBackUnchanged(method: MergeMethod) throws {
        let x = F.random(seed: 11)
        let options = MergeOptions(method: method, density: 1)   // TIES trims nothing at density 1
        let (merged, report) = try AdapterMerge.merge([x, x], options: options)
        #expect(merged.config.scale == x.config.scale)
        for slot in x.slots {
            let rel = F.relative(F.update(merged, slot), F.update(x, slot))
            #expect(rel < 1e-5, "\(method) \(slot): \(rel)")
        }
        #expect(report.overallRelative < 1e-5)
        #expect(report.slots.count == x.slots.count)
        if method == .linear { #expect(merged.factors == x.factors) }
        #expect(merged.provenance?.coreHash == F.hashA)
        #expect(merged.provenance?.extra["merge.method"] == method.rawValue)
    }

    /// Two rank-2 adapters on orthogonal directions of an 8 x 8 projection, with singular values
    /// 3, 1 (first) and 2, 0.5 (second): with equal weights the exact average has singular values
    /// 1.5, 1, 0.5, 0.25 on four orthogonal directions.
    static func orthogonalPair() -> (LoRAAdapter, LoRAAdapter) {
        func make(_ sigmas: [Float], first: Int) -> LoRAAdapter {
            var a = [Float](repeating: 0, count: 2 * 8), b = [Float](repeating: 0, count: 8 * 2)
            for (k, s) in sigmas.enumerated() {
                a[k * 8 + first + k] = s
                b[(first + k) * 2 + k] = 1
            }
            return F.single(rank: 2, alpha: 2, out: 8, in: 8, a: a, b: b)
        }
        return (make([3, 1], first: 0), make([2, 0.5], first: 2))
    }

    @Test func linearAveragesFactorsAndReportsItsCrossTermError() throws {
        let (x, y) = Self.orthogonalPair()
        let slot = x.slots[0]
        let (merged, report) = try AdapterMerge.merge([x, y], options: MergeOptions(method: .linear))
        // scale·(½B₁ + ½B₂)(½A₁ + ½A₂), computed independently.
        let fx = x.factors[slot]!, fy = y.factors[slot]!
        let avg = F.single(rank: 2, alpha: 2, out: 8, in: 8,
                           a: zip(fx.a, fy.a).map { ($0 + $1) / 2 }, b: zip(fx.b, fy.b).map { ($0 + $1) / 2 })
        #expect(F.relative(F.update(merged, slot), F.update(avg, slot)) < 1e-7)
        let exact = F.weightedSum([F.update(x, slot), F.update(y, slot)], [0.5, 0.5])
        let expectedError = F.relative(F.update(avg, slot), exact)
        #expect(expectedError > 0.1)   // the cross terms B₁A₂, B₂A₁ are not small here
        #expect(abs(report.overallRelative - expectedError) < 1e-6)
    }

    @Test func exactWithEnoughRankIsExactAndCatIsExact() throws {
        let (x, y) = Self.orthogonalPair()
        let slot = x.slots[0]
        let exact = F.weightedSum([F.update(x, slot), F.update(y, slot)], [0.25, 0.75])
        for (method, rank) in [(MergeMethod.exact, 4), (.exact, 6), (.cat, 4)] {
            let (merged, report) = try AdapterMerge.merge([x, y], options: MergeOptions(method: method, weights: [1, 3], rank: method == .cat ? nil : rank))
            #expect(merged.config.rank == rank)
            #expect(F.relative(F.update(merged, slot), exact) < 1e-6, "\(method) rank \(rank)")
            #expect(report.overallRelative < 1e-6)
        }
    }

    @Test func truncationErrorIsTheDiscardedSingularValuesEnergy() throws {
        let (x, y) = Self.orthogonalPair()
        let slot = x.slots[0]
        let sigmas = [1.5, 1.0, 0.5, 0.25]
        let total = sigmas.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for rank in 1...3 {
            let (merged, report) = try AdapterMerge.merge([x, y], options: MergeOptions(method: .exact, rank: rank))
            let discarded = sigmas.dropFirst(rank).reduce(0) { $0 + $1 * $1 }.squareRoot()
            let s = report.slots[0]
            #expect(abs(s.absolute - discarded) < 1e-6, "rank \(rank): \(s.absolute) vs \(discarded)")
            #expect(abs(s.exactNorm - total) < 1e-9)
            // And the written factors really carry that error.
            let exact = F.weightedSum([F.update(x, slot), F.update(y, slot)], [0.5, 0.5])
            #expect(abs(F.relative(F.update(merged, slot), exact) - discarded / total) < 1e-6)
        }
    }

    @Test func differentRanksAndAlphasMergeExactlyWithCatAndExact() throws {
        let x = F.random(seed: 3, rank: 2, alpha: 4)
        let y = F.random(seed: 4, rank: 3, alpha: 12)
        for method in [MergeMethod.cat, .exact] {
            let (merged, report) = try AdapterMerge.merge([x, y], options: MergeOptions(method: method, weights: [2, 1], rank: method == .exact ? 5 : nil))
            #expect(merged.config.rank == 5)
            #expect(merged.config.scale == x.config.scale)   // alpha follows the rank, the scale stays
            for slot in x.slots {
                let exact = F.weightedSum([F.update(x, slot), F.update(y, slot)], [2.0 / 3, 1.0 / 3])
                #expect(F.relative(F.update(merged, slot), exact) < 1e-5, "\(method) \(slot)")
            }
            #expect(report.overallRelative < 1e-5)
        }
        // Truncating the same pair below the total rank loses something, and says so.
        let (_, truncated) = try AdapterMerge.merge([x, y], options: MergeOptions(method: .exact, rank: 2))
        #expect(truncated.overallRelative > 1e-3)
    }

    /// τ₁ = [[1, -1], [2, -2]] and τ₂ = [[-3, 0.5], [-3, 0.5]] (rank 1 each, scale 1).
    static func conflictingPair() -> (LoRAAdapter, LoRAAdapter) {
        (F.single(rank: 1, alpha: 1, out: 2, in: 2, a: [1, -1], b: [1, 2]),
         F.single(rank: 1, alpha: 1, out: 2, in: 2, a: [-3, 0.5], b: [1, 1]))
    }

    @Test func tiesElectsSignsAndAveragesOnlyAgreeingEntries() throws {
        let (x, y) = Self.conflictingPair()
        let slot = x.slots[0]
        let cases: [(weights: [Double], density: Double, expected: [Double])] = [
            // Summed mass is negative everywhere: τ₂ wins (0,0) and (1,0), τ₁ keeps (0,1) and (1,1).
            ([1, 1], 1, [-3, -1, -3, -2]),
            // Trimmed to half: τ₁ keeps its 2s, τ₂ its -3s; (0,1) loses both and becomes 0.
            ([1, 1], 0.5, [-3, 0, -3, -2]),
            // A dominant weight carries every sign: τ₁ comes back.
            ([4, 1], 1, [1, -1, 2, -2]),
        ]
        for c in cases {
            let (merged, report) = try AdapterMerge.merge([x, y], options: MergeOptions(method: .ties, weights: c.weights, rank: 2, density: c.density))
            let got = F.update(merged, slot)
            for i in 0..<4 { #expect(abs(got[i] - c.expected[i]) < 1e-5, "\(c): \(got)") }
            let w = c.weights.map { $0 / c.weights.reduce(0, +) }
            let exact = F.weightedSum([F.update(x, slot), F.update(y, slot)], w)
            #expect(abs(report.overallRelative - F.relative(c.expected, exact)) < 1e-5)
        }
    }

    @Test func tiesTrimKeepsTheLargestMagnitudesAndBreaksTiesByIndex() {
        let t = Matrix(rows: 2, cols: 3, values: [0.5, -4, 2, -2, 1, 0])
        #expect(TIES.trim(t, density: 0.5).values == [0, -4, 2, -2, 0, 0])   // 3 of 6
        // 0.3·6 = 1.8 → 2 kept: -4, then 2 and -2 tie on magnitude and the lower index wins.
        #expect(TIES.trim(t, density: 0.3).values == [0, -4, 2, 0, 0, 0])
        #expect(TIES.trim(t, density: 1).values == t.values)
    }
}
