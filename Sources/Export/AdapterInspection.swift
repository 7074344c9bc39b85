#if canImport(Glibc)
import Glibc
#endif
import Adapters
import Consensus

/// How adapters look and how far apart they are: the numbers `swarmtune inspect` prints.
///
/// Every product-space quantity (‖s·B·A‖, distances between updates, the product gap) is computed
/// from r x r Gram matrices, never from a dense out x in update.
public struct InspectionReport: Sendable {
    public struct ModuleStats: Sendable {
        public var layer: Int
        public var module: String
        public var normA: Double
        public var normB: Double
        /// ‖scale·B·A‖_F, the size of the update this module adds to the core.
        public var updateNorm: Double
        /// Singular values of scale·B·A, largest first.
        public var singularValues: [Double]
        /// exp(entropy of σ/Σσ): 1 for a rank-one update, r when all directions are equally used.
        public var effectiveRank: Double
    }

    public var names: [String]
    public var modules: [[ModuleStats]]
    /// ‖θ_i − θ_j‖ over all factors (nil when shapes differ, e.g. different ranks).
    public var factorDistance: [[Double]]?
    /// ‖ΔW_i − ΔW_j‖_F summed in quadrature over modules.
    public var updateDistance: [[Double]]
    /// (1/n) Σ_i ‖θ_i − θ̄‖² over all factors (Dec-LoRA's consensus distance); nil when shapes differ.
    public var consensusDistance: Double?
    /// ‖mean_i(s·B_i·A_i) − s·mean(B)·mean(A)‖_F: what averaging factors loses against averaging updates.
    public var productGap: Double?
    /// ‖θ_i − θ̄‖ per adapter: its drift from the consensus mean.
    public var drift: [Double]?
}

public enum AdapterInspection {
    public static func inspect(_ adapters: [LoRAAdapter], names: [String]) throws(ExportError) -> InspectionReport {
        guard let first = adapters.first else { throw .noAdapters }
        guard names.count == adapters.count else { throw .badOption("\(adapters.count) adapters but \(names.count) names") }
        let slots = first.slots
        for (i, a) in adapters.enumerated() where a.slots != slots {
            throw .layoutMismatch(path: names[i], otherPath: names[0], reason: "the (layer, module) sets differ")
        }
        // Every product-space figure pairs the factors of one module across adapters, so their
        // output and input sizes must agree (ranks may differ), and each factor must hold exactly
        // the values its shape claims.
        for (i, a) in adapters.enumerated() {
            for slot in slots {
                guard let f = a.factors[slot], let f0 = first.factors[slot] else {
                    throw .layoutMismatch(path: names[i], otherPath: names[0], reason: "layer \(slot.layer) \(slot.projection.rawValue) has no factors")
                }
                guard f.rank > 0, f.a.count == f.rank * f.inFeatures, f.b.count == f.outFeatures * f.rank else {
                    throw .unreadableAdapter(path: names[i], reason: "layer \(slot.layer) \(slot.projection.rawValue): A holds \(f.a.count) values and B \(f.b.count), but rank \(f.rank) with \(f.inFeatures) inputs and \(f.outFeatures) outputs needs \(f.rank * f.inFeatures) and \(f.outFeatures * f.rank)")
                }
                guard f.inFeatures == f0.inFeatures, f.outFeatures == f0.outFeatures else {
                    throw .layoutMismatch(path: names[i], otherPath: names[0],
                                          reason: "layer \(slot.layer) \(slot.projection.rawValue) is \(f.outFeatures) x \(f.inFeatures) in one and \(f0.outFeatures) x \(f0.inFeatures) in the other")
                }
            }
        }
        // Factor-space figures (distances, drift, gap) also need equal ranks, module by module.
        let sameShape = adapters.allSatisfy { a in slots.allSatisfy { a.factors[$0]!.rank == first.factors[$0]!.rank } }
        var modules: [[InspectionReport.ModuleStats]] = []
        for a in adapters {
            var stats: [InspectionReport.ModuleStats] = []
            let s = Double(a.config.scale)
            for slot in slots {
                let f = a.factors[slot]!
                let b = Matrix(rows: f.outFeatures, cols: f.rank, floats: f.b, scale: s)
                let am = Matrix(rows: f.rank, cols: f.inFeatures, floats: f.a)
                let sigma = SVD.lowRank(left: b, right: am).sigma.filter { $0 > 0 }
                let total = sigma.reduce(0, +)
                let entropy = total > 0 ? -sigma.reduce(0.0) { acc, x in let p = x / total; return acc + (p > 0 ? p * log(p) : 0) } : 0
                stats.append(.init(layer: slot.layer, module: slot.projection.rawValue,
                                   normA: norm(f.a), normB: norm(f.b),
                                   updateNorm: sigma.reduce(0) { $0 + $1 * $1 }.squareRoot(),
                                   singularValues: sigma, effectiveRank: total > 0 ? exp(entropy) : 0))
            }
            modules.append(stats)
        }
        let n = adapters.count
        var updateDistance = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n {
            for j in (i + 1)..<max(i + 1, n) {
                // ‖U_i − U_j‖² = ⟨U_i, U_i⟩ + ⟨U_j, U_j⟩ − 2⟨U_i, U_j⟩: identical adapters give
                // exactly 0 (the three inner products are the same operations on the same values).
                var sq = 0.0
                for slot in slots {
                    let ii = productInner(adapters[i], adapters[i], slot: slot)
                    let jj = productInner(adapters[j], adapters[j], slot: slot)
                    let ij = productInner(adapters[i], adapters[j], slot: slot)
                    sq += max(0, ii + jj - 2 * ij)
                }
                updateDistance[i][j] = sq.squareRoot()
                updateDistance[j][i] = updateDistance[i][j]
            }
        }
        var report = InspectionReport(names: names, modules: modules, factorDistance: nil, updateDistance: updateDistance,
                                      consensusDistance: nil, productGap: nil, drift: nil)
        guard sameShape else { return report }
        let vectors = adapters.map { a in slots.flatMap { a.factors[$0]!.a + a.factors[$0]!.b } }
        let count = vectors[0].count
        var mean = [Double](repeating: 0, count: count)
        for v in vectors { for k in 0..<count { mean[k] += Double(v[k]) / Double(n) } }
        var factorDistance = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n {
            for j in (i + 1)..<max(i + 1, n) {
                var sq = 0.0
                for k in 0..<count { let d = Double(vectors[i][k] - vectors[j][k]); sq += d * d }
                factorDistance[i][j] = sq.squareRoot()
                factorDistance[j][i] = factorDistance[i][j]
            }
        }
        let drift = vectors.map { v in (0..<count).reduce(0.0) { $0 + (Double(v[$1]) - mean[$1]) * (Double(v[$1]) - mean[$1]) }.squareRoot() }
        var gap = 0.0
        for slot in slots { gap += productNormSquared(adapters.map { ($0, 1 / Double(n)) }, slot: slot, meanFactors: true) }
        report.factorDistance = factorDistance
        report.drift = drift
        report.consensusDistance = drift.reduce(0) { $0 + $1 * $1 } / Double(n)
        report.productGap = gap.squareRoot()
        return report
    }

    static func norm(_ v: [Float]) -> Double { v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot() }

    /// ⟨s_x·B_x·A_x, s_y·B_y·A_y⟩_F for one module, through the small Gram matrices:
    /// s_x·s_y·trace((B_xᵀB_y)(A_y·A_xᵀ)).
    static func productInner(_ x: LoRAAdapter, _ y: LoRAAdapter, slot: LoRASlot) -> Double {
        let fx = x.factors[slot]!, fy = y.factors[slot]!
        let out = fx.outFeatures, inp = fx.inFeatures
        var sum = 0.0
        for k in 0..<fx.rank {
            for l in 0..<fy.rank {
                var b = 0.0, a = 0.0
                for o in 0..<out { b += Double(fx.b[o * fx.rank + k]) * Double(fy.b[o * fy.rank + l]) }
                for i in 0..<inp { a += Double(fy.a[l * inp + i]) * Double(fx.a[k * inp + i]) }
                sum += b * a
            }
        }
        return sum * Double(x.config.scale) * Double(y.config.scale)
    }

    /// ‖Σ_i c_i·s_i·B_i·A_i (− s·B̄·Ā when meanFactors)‖²_F for one module, through the Gram matrices
    /// of the stacked factors L = [c_1 s_1 B_1, …] (out x R) and Q = [A_1; …] (R x in):
    /// ‖L·Q‖² = trace((LᵀL)(QQᵀ)).
    static func productNormSquared(_ terms: [(LoRAAdapter, Double)], slot: LoRASlot, meanFactors: Bool) -> Double {
        var lefts: [(b: [Float], rank: Int, out: Int, c: Double)] = []
        var rights: [(a: [Float], rank: Int, in: Int)] = []
        for (a, c) in terms {
            let f = a.factors[slot]!
            lefts.append((f.b, f.rank, f.outFeatures, c * Double(a.config.scale)))
            rights.append((f.a, f.rank, f.inFeatures))
        }
        if meanFactors, let f0 = terms.first?.0.factors[slot] {
            // − s·B̄·Ā, with B̄ and Ā the plain means of the factors.
            let r = f0.rank, n = Double(terms.count)
            var bMean = [Float](repeating: 0, count: f0.b.count), aMean = [Float](repeating: 0, count: f0.a.count)
            for (a, _) in terms {
                let f = a.factors[slot]!
                for k in 0..<bMean.count { bMean[k] += f.b[k] / Float(n) }
                for k in 0..<aMean.count { aMean[k] += f.a[k] / Float(n) }
            }
            lefts.append((bMean, r, f0.outFeatures, -Double(terms[0].0.config.scale)))
            rights.append((aMean, r, f0.inFeatures))
        }
        let total = lefts.reduce(0) { $0 + $1.rank }
        let out = lefts[0].out, inp = rights[0].in
        // Column k of L and row k of Q, flattened over the stacked terms.
        var columnsL: [[Double]] = [], rowsQ: [[Double]] = []
        for (t, l) in lefts.enumerated() {
            for k in 0..<l.rank {
                columnsL.append((0..<out).map { Double(l.b[$0 * l.rank + k]) * l.c })
                rowsQ.append((0..<inp).map { Double(rights[t].a[k * inp + $0]) })
            }
        }
        var gl = [Double](repeating: 0, count: total * total), gq = gl
        for i in 0..<total {
            for j in i..<total {
                var x = 0.0, y = 0.0
                for o in 0..<out { x += columnsL[i][o] * columnsL[j][o] }
                for k in 0..<inp { y += rowsQ[i][k] * rowsQ[j][k] }
                gl[i * total + j] = x; gl[j * total + i] = x
                gq[i * total + j] = y; gq[j * total + i] = y
            }
        }
        var tr = 0.0
        for i in 0..<total { for j in 0..<total { tr += gl[i * total + j] * gq[j * total + i] } }
        return max(0, tr)
    }
}
