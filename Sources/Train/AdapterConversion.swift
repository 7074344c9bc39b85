import Adapters
import LM

/// Moves LoRA factors between the engine's layout and PEFT adapter files.
///
/// The engine keeps Bt = Bᵀ with q/k rows in the core's GGUF order; PEFT stores B [out × r] in
/// Hugging Face row order. Both directions map q/k rows (`RowOrder`, for architectures whose files
/// permute them), so an adapter written here loads in PEFT on transformers' model of the same
/// GGUF, and PEFT adapters load here.
public enum AdapterConversion {
    public enum Error: Swift.Error, CustomStringConvertible {
        case dora(path: String)
        case mismatch(path: String, reason: String)

        public var description: String {
            switch self {
            case let .dora(path): "\(path): DoRA together with LoRA dropout is not supported by the training engine"
            case let .mismatch(path, reason): "\(path): the adapter does not fit this core: \(reason)"
            }
        }
    }

    static func projection(_ t: LoRATarget) -> LoRAProjection { LoRAProjection(rawValue: t.peftName)! }

    /// The adapter as PEFT would hold it.
    public static func adapter(from p: LoRAParameters, provenance: AdapterProvenance?, baseModel: String? = nil) -> LoRAAdapter {
        let r = p.config.rank
        let config = LoRAAdapterConfig(rank: r, alpha: Double(p.config.alpha), dropout: Double(p.config.dropout),
                                       targets: p.config.targets.map(projection), useRSLoRA: p.config.rsLoRA,
                                       useDoRA: p.config.dora, baseModelNameOrPath: baseModel)
        var factors: [LoRASlot: LoRAFactors] = [:]
        for s in p.slots {
            let a = Array(UnsafeBufferPointer(start: p.a(s), count: r * s.inputs))
            var b = [Float](repeating: 0, count: s.outputs * r)
            var magnitude: [Float]? = p.config.dora ? [Float](repeating: 0, count: s.outputs) : nil
            let bt = p.bt(s), mag = p.magnitude(s)
            for row in 0..<s.outputs {
                let hf = RowOrder.hfRow(row, of: s.target, in: p.model)
                for k in 0..<r { b[hf * r + k] = bt[k * s.outputs + row] }
                if let mag { magnitude![hf] = mag[row] }
            }
            factors[LoRASlot(layer: s.layer, projection: projection(s.target))] =
                LoRAFactors(rank: r, inFeatures: s.inputs, outFeatures: s.outputs, a: a, b: b, magnitude: magnitude)
        }
        return LoRAAdapter(config: config, factors: factors, provenance: provenance)
    }

    /// Engine parameters from a PEFT adapter, checked against the core's shape.
    public static func parameters(from adapter: LoRAAdapter, model: LlamaConfig, path: String) throws(Error) -> LoRAParameters {
        guard !(adapter.config.useDoRA && adapter.config.dropout > 0) else { throw .dora(path: path) }
        do { try adapter.validate(against: model.loraModelShape, path: path) } catch {
            throw .mismatch(path: path, reason: error.description)
        }
        let targets = adapter.config.targets.compactMap { LoRATarget(peftName: $0.rawValue) }
        let config = LoRAConfig(rank: adapter.config.rank, alpha: Float(adapter.config.alpha), targets: targets,
                                dropout: Float(adapter.config.dropout), rsLoRA: adapter.config.useRSLoRA,
                                dora: adapter.config.useDoRA)
        let p = LoRAParameters(config: config, model: model)
        let r = config.rank
        for s in p.slots {
            guard let f = adapter.factors[LoRASlot(layer: s.layer, projection: projection(s.target))] else {
                throw .mismatch(path: path, reason: "no factors for layer \(s.layer) \(s.target.peftName)")
            }
            guard f.inFeatures == s.inputs, f.outFeatures == s.outputs, f.rank == r else {
                throw .mismatch(path: path, reason: "layer \(s.layer) \(s.target.peftName) is \(f.outFeatures)x\(f.inFeatures) rank \(f.rank), the core needs \(s.outputs)x\(s.inputs) rank \(r)")
            }
            f.a.withUnsafeBufferPointer { p.a(s).update(from: $0.baseAddress!, count: r * s.inputs) }
            let bt = p.bt(s), mag = p.magnitude(s)
            if mag != nil && f.magnitude?.count != s.outputs {
                throw .mismatch(path: path, reason: "layer \(s.layer) \(s.target.peftName) has no DoRA magnitude of \(s.outputs) values")
            }
            for row in 0..<s.outputs {
                let hf = RowOrder.hfRow(row, of: s.target, in: p.model)
                for k in 0..<r { bt[k * s.outputs + row] = f.b[hf * r + k] }
                if let mag { mag[row] = f.magnitude![hf] }
            }
        }
        return p
    }
}
