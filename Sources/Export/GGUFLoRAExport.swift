import Adapters
import ModelIO
import Quant

/// A LoRA adapter as a GGUF file llama.cpp loads with `--lora` (`llama_adapter_lora_init`).
///
/// Layout (llama.cpp's convert_lora_to_gguf conventions): `general.architecture` = the core's
/// ("llama", "qwen2"), `general.type` = "adapter", `adapter.type` = "lora", `adapter.lora.alpha` (f32);
/// per adapted weight `blk.N.<name>.weight.lora_a` with ggml shape [in, r] (A's r rows of `in`)
/// and `...lora_b` with ggml shape [r, out] (B's `out` rows of r, q/k rows in the core's GGUF
/// order). llama.cpp scales by alpha / r, so rsLoRA adapters are written with
/// alpha' = scale·r to give the same update.
public enum GGUFLoRAExport {
    public static func writer(adapter: LoRAAdapter, fit: CoreFit, type: GGMLType = .f32) throws(ExportError) -> GGUFWriter {
        guard type == .f32 || type == .f16 else {
            throw .badOption("a GGUF LoRA adapter is written as f32 or f16, not \(type)")
        }
        var w = GGUFWriter()
        w.metadata.set("general.architecture", .string(fit.config.architecture.rawValue))
        w.metadata.set("general.type", .string("adapter"))
        w.metadata.set("general.name", .string(adapter.config.baseModelNameOrPath.map { "LoRA for \($0)" } ?? "SwarmTune LoRA adapter"))
        w.metadata.set("adapter.type", .string("lora"))
        let alpha = Double(adapter.config.scale) * Double(adapter.config.rank)
        w.metadata.set("adapter.lora.alpha", .float32(Float(alpha)))
        if let p = adapter.provenance {
            for (key, value) in p.metadata.sorted(by: { $0.key < $1.key }) { w.metadata.set(key, .string(value)) }
        } else {
            w.metadata.set(AdapterProvenance.coreHashKey, .string(fit.coreHash))
        }
        for slot in adapter.slots {
            guard let f = adapter.factors[slot] else { continue }
            let base = CoreFit.ggufName(layer: slot.layer, projection: slot.projection)
            try add(&w, base + ".lora_a", shape: [f.inFeatures, f.rank], values: f.a, type: type)
            try add(&w, base + ".lora_b", shape: [f.rank, f.outFeatures], values: fit.ggufOrderB(f, projection: slot.projection), type: type)
        }
        return w
    }

    static func add(_ w: inout GGUFWriter, _ name: String, shape: [Int], values: [Float], type: GGMLType) throws(ExportError) {
        if type == .f16, let bad = values.first(where: { abs($0) > 65504 }) {
            throw .quantization(tensor: name, reason: "value \(bad) overflows f16; export as f32")
        }
        do {
            let bytes = try Quantize.row(type, values)
            try w.addTensor(name: name, shape: shape, type: type, data: bytes)
        } catch let error as QuantError {
            throw .quantization(tensor: name, reason: error.description)
        } catch {
            throw .quantization(tensor: name, reason: "\(error)")
        }
    }
}
