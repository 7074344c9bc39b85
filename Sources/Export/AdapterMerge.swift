import Adapters
import Consensus

/// Merges LoRA adapters trained on the same core into one (see `MergeMethod`), and measures how
/// far the result is from the exact weighted average of their updates.
public enum AdapterMerge {
    /// Reads adapter directories, turning every read failure into an error that names the path.
    public static func read(_ paths: [String]) throws(ExportError) -> [LoRAAdapter] {
        var out: [LoRAAdapter] = []
        for path in paths {
            do { out.append(try LoRAAdapter.read(directory: path)) } catch {
                throw .unreadableAdapter(path: path, reason: error.description)
            }
        }
        return out
    }

    /// Merges `adapters` (named by `names` in errors, usually their paths). Checks first that they
    /// can be merged: same core, same targets, layers and shapes, no DoRA, and equal ranks for
    /// linear. The result keeps the first adapter's scale (alpha is adjusted to the new rank).
    public static func merge(_ adapters: [LoRAAdapter], names: [String]? = nil,
                             options: MergeOptions) throws(ExportError) -> (adapter: LoRAAdapter, report: MergeReport)
    {
        let names = names ?? adapters.indices.map { "adapter \($0 + 1)" }
        guard let first = adapters.first else { throw .noAdapters }
        guard names.count == adapters.count else { throw .badOption("\(names.count) names for \(adapters.count) adapters") }
        let weights = try normalisedWeights(options.weights, count: adapters.count)
        try checkCompatible(adapters, names: names, method: options.method)
        guard options.density > 0, options.density <= 1 else {
            throw .badOption("density must be in (0, 1], got \(options.density)")
        }
        let inputRank = adapters.map(\.config.rank).max() ?? first.config.rank
        let rank: Int
        switch options.method {
        case .linear: rank = first.config.rank
        case .cat: rank = adapters.reduce(0) { $0 + $1.config.rank }
        case .exact, .ties: rank = options.rank ?? inputRank
        }
        if let r = options.rank, options.method == .linear || options.method == .cat, r != rank {
            throw .badOption("--rank \(r) does not apply to \(options.method.rawValue), whose rank is \(rank) (use exact or ties to change the rank)")
        }
        guard rank >= 1, rank <= 4096 else { throw .badOption("rank must be between 1 and 4096, got \(rank)") }

        let config = outputConfig(first.config, rank: rank)
        let outScale = Double(config.scale)
        var factors: [LoRASlot: LoRAFactors] = [:]
        var errors: [MergeReport.SlotError] = []
        for slot in first.slots {
            let inputs = adapters.map { ($0.factors[slot]!, Double($0.config.scale)) }
            let (merged, error) = mergeSlot(inputs, weights: weights, method: options.method, rank: rank,
                                            density: options.density, outScale: outScale)
            factors[slot] = merged
            errors.append(MergeReport.SlotError(slot: slot.description, absolute: error.absolute, exactNorm: error.exactNorm))
        }
        var provenance: AdapterProvenance?
        if let p = adapters.compactMap(\.provenance).first {
            var extra: [String: String] = [
                "merge.method": options.method.rawValue,
                "merge.inputs": String(adapters.count),
                "merge.weights": weights.map { String($0) }.joined(separator: ","),
            ]
            if options.method == .ties { extra["merge.density"] = String(options.density) }
            provenance = AdapterProvenance(coreHash: p.coreHash, swarmtuneVersion: options.swarmtuneVersion,
                                           seed: p.seed, extra: extra)
        }
        let adapter = LoRAAdapter(config: config, factors: factors, provenance: provenance)
        return (adapter, MergeReport(method: options.method, rank: rank, weights: weights, slots: errors))
    }

    // MARK: - checks

    static func normalisedWeights(_ given: [Double]?, count: Int) throws(ExportError) -> [Double] {
        guard let given else { return [Double](repeating: 1 / Double(count), count: count) }
        guard given.count == count else { throw .badWeights("\(given.count) weights for \(count) adapters") }
        guard given.allSatisfy({ $0.isFinite && $0 >= 0 }) else { throw .badWeights("weights must be finite and non-negative, got \(given)") }
        let sum = given.reduce(0, +)
        guard sum > 0 else { throw .badWeights("weights sum to 0") }
        return given.map { $0 / sum }
    }

    static func checkCompatible(_ adapters: [LoRAAdapter], names: [String], method: MergeMethod) throws(ExportError) {
        for (a, name) in zip(adapters, names) where a.config.useDoRA { throw .dora(path: name) }
        let hashed = zip(adapters, names).compactMap { a, n in a.provenance.map { ($0.coreHash, n) } }
        if let (hash, name) = hashed.first, let other = hashed.first(where: { $0.0 != hash }) {
            throw .coreMismatch(path: name, coreHash: hash, otherPath: other.1, otherCoreHash: other.0)
        }
        let first = adapters[0], firstName = names[0]
        let firstSlots = first.slots
        for (a, name) in zip(adapters, names).dropFirst() {
            guard a.config.targets == first.config.targets else {
                throw .layoutMismatch(path: firstName, otherPath: name, reason: "targets \(first.config.targets.map(\.rawValue)) vs \(a.config.targets.map(\.rawValue))")
            }
            let layers = Set(firstSlots.map(\.layer)), otherLayers = Set(a.slots.map(\.layer))
            guard layers == otherLayers else {
                throw .layoutMismatch(path: firstName, otherPath: name, reason: "\(layers.count) layers vs \(otherLayers.count) layers")
            }
            guard a.slots == firstSlots else {
                throw .layoutMismatch(path: firstName, otherPath: name, reason: "the adapted (layer, projection) pairs differ")
            }
            for slot in firstSlots {
                let f = first.factors[slot]!, g = a.factors[slot]!
                guard f.inFeatures == g.inFeatures, f.outFeatures == g.outFeatures else {
                    throw .layoutMismatch(path: firstName, otherPath: name, reason: "\(slot) is \(f.outFeatures)x\(f.inFeatures) vs \(g.outFeatures)x\(g.inFeatures)")
                }
            }
            if method == .linear, a.config.rank != first.config.rank {
                throw .rankMismatch(path: firstName, rank: first.config.rank, otherPath: name, otherRank: a.config.rank, method: method.rawValue)
            }
        }
    }

    /// The first adapter's configuration at `rank`, with alpha adjusted so the scale is unchanged.
    static func outputConfig(_ c: LoRAAdapterConfig, rank: Int) -> LoRAAdapterConfig {
        let scale = c.useRSLoRA ? c.alpha / Double(c.rank).squareRoot() : c.alpha / Double(c.rank)
        let alpha = c.useRSLoRA ? scale * Double(rank).squareRoot() : scale * Double(rank)
        return LoRAAdapterConfig(rank: rank, alpha: alpha, dropout: c.dropout, targets: c.targets,
                                 useRSLoRA: c.useRSLoRA, useDoRA: false, baseModelNameOrPath: c.baseModelNameOrPath)
    }

    // MARK: - one (layer, projection)

    /// The exact weighted average as a product left·right: left = [w₁s₁B₁, ...], right = [A₁; ...].
    static func exactProduct(_ inputs: [(LoRAFactors, Double)], weights: [Double]) -> (left: Matrix, right: Matrix) {
        var left: Matrix?, right: Matrix?
        for ((f, s), w) in zip(inputs, weights) {
            let b = Matrix(rows: f.outFeatures, cols: f.rank, floats: f.b, scale: w * s)
            let a = Matrix(rows: f.rank, cols: f.inFeatures, floats: f.a)
            left = left.map { $0.hstack(b) } ?? b
            right = right.map { $0.vstack(a) } ?? a
        }
        return (left!, right!)
    }

    static func mergeSlot(_ inputs: [(LoRAFactors, Double)], weights: [Double], method: MergeMethod, rank: Int,
                          density: Double, outScale: Double) -> (LoRAFactors, (absolute: Double, exactNorm: Double))
    {
        let f0 = inputs[0].0
        let m = f0.outFeatures, n = f0.inFeatures
        let exact = exactProduct(inputs, weights: weights)
        switch method {
        case .linear:
            var a = Matrix(zeros: f0.rank, n), b = Matrix(zeros: m, f0.rank)
            for ((f, s), w) in zip(inputs, weights) {
                for i in a.values.indices { a.values[i] += w * Double(f.a[i]) }
                for i in b.values.indices { b.values[i] += w * (s / outScale) * Double(f.b[i]) }
            }
            let error = LowRankNorm.difference(exact.left, exact.right, b.scaled(outScale), a)
            return (factors(a: a, b: b), error)
        case .cat:
            // B = [B₁ ...] (rescaled to the output scale), A = [w₁A₁; ...].
            var a: Matrix?, b: Matrix?
            for ((f, s), w) in zip(inputs, weights) {
                let bi = Matrix(rows: m, cols: f.rank, floats: f.b, scale: s / outScale)
                let ai = Matrix(rows: f.rank, cols: n, floats: f.a, scale: w)
                a = a.map { $0.vstack(ai) } ?? ai
                b = b.map { $0.hstack(bi) } ?? bi
            }
            let error = LowRankNorm.difference(exact.left, exact.right, b!.scaled(outScale), a!)
            return (factors(a: a!, b: b!), error)
        case .exact:
            let svd = SVD.lowRank(left: exact.left, right: exact.right)
            let (a, b) = svd.balancedFactors(rank: rank, rows: m, cols: n, scale: outScale)
            let error = LowRankNorm.difference(exact.left, exact.right, b.scaled(outScale), a)
            return (factors(a: a, b: b), error)
        case .ties:
            let dense = TIES.merge(inputs.map { f, s in
                Matrix(rows: m, cols: f.rank, floats: f.b, scale: s).times(Matrix(rows: f.rank, cols: n, floats: f.a))
            }, weights: weights, density: density)
            let svd = SVD.dense(dense, rank: rank)
            let (a, b) = svd.balancedFactors(rank: rank, rows: m, cols: n, scale: outScale)
            let reference = exact.left.times(exact.right)
            let merged = b.scaled(outScale).times(a)
            var diff = 0.0
            for i in reference.values.indices { let d = merged.values[i] - reference.values[i]; diff += d * d }
            return (factors(a: a, b: b), (diff.squareRoot(), reference.frobeniusSquared.squareRoot()))
        }
    }

    static func factors(a: Matrix, b: Matrix) -> LoRAFactors {
        LoRAFactors(rank: a.rows, inFeatures: a.cols, outFeatures: b.rows, a: a.floats, b: b.floats)
    }
}
