import Adapters
import LM
import ModelIO

/// What an export needs to know about the core an adapter is applied to.
public struct CoreFit: Sendable {
    public let config: LlamaConfig
    /// SHA-256 of the core (see `CoreHash`), lowercase hex.
    public let coreHash: String

    /// Checks that `adapter` (read from `adapterPath`) fits `core`: an architecture SwarmTune
    /// runs (`ModelArchitecture`), the recorded core hash (when the adapter has provenance) equal
    /// to the core's, every layer and target present with the core's shapes, and no DoRA.
    public init(adapter: LoRAAdapter, adapterPath: String, core: GGUFModelFile) throws(ExportError) {
        do { config = try LlamaConfig(metadata: core.metadata, path: core.path) } catch {
            throw .core(path: core.path, reason: error.description)
        }
        coreHash = CoreHash.compute(core).hex
        guard !adapter.config.useDoRA else { throw .dora(path: adapterPath) }
        if let recorded = adapter.provenance?.coreHash, recorded != coreHash {
            throw .adapterDoesNotFitCore(adapter: adapterPath, core: core.path,
                                         reason: "the adapter was trained on core \(recorded.prefix(16))…, this core is \(coreHash.prefix(16))…")
        }
        do { try adapter.validate(against: config.loraModelShape, path: adapterPath) } catch {
            throw .adapterDoesNotFitCore(adapter: adapterPath, core: core.path, reason: error.description)
        }
    }

    /// The GGUF tensor holding `projection`'s weight in `layer`.
    public static func ggufName(layer: Int, projection: LoRAProjection) -> String {
        let name: String
        switch projection {
        case .q: name = "attn_q"
        case .k: name = "attn_k"
        case .v: name = "attn_v"
        case .o: name = "attn_output"
        case .gate: name = "ffn_gate"
        case .up: name = "ffn_up"
        case .down: name = "ffn_down"
        }
        return "blk.\(layer).\(name).weight"
    }

    /// B ([out, r], Hugging Face row order) with its rows in the core's GGUF order: in a `llama`
    /// file q and k rows are permuted per head (rotary pairs adjacent); everything else, and every
    /// projection of a `qwen2` file, is unchanged.
    public func ggufOrderB(_ f: LoRAFactors, projection: LoRAProjection) -> [Float] {
        guard let target = LoRATarget(peftName: projection.rawValue),
              RowOrder.isPermuted(target, in: config.architecture) else { return f.b }
        var out = [Float](repeating: 0, count: f.b.count)
        let r = f.rank
        for row in 0..<f.outFeatures {
            let hf = RowOrder.hfRow(forGGUFRow: row, headDim: config.headDim)
            for k in 0..<r { out[row * r + k] = f.b[hf * r + k] }
        }
        return out
    }
}
