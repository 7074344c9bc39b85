import Adapters
import ModelIO
import Quant

/// The core with an adapter folded in: W' = W + scale·B·A (B's q/k rows in GGUF order) for every
/// adapted matrix, re-encoded as `type`; every other tensor and all metadata copied as they are,
/// plus `swarmtune.merged_adapter.*` keys recording what was merged.
public enum GGUFMergedExport {
    /// Types the adapted matrices can be written in.
    public static let supportedTypes: [GGMLType] = [.f32, .f16, .q8_0, .q4_1]
    /// The supported types as a user types them ("f32, f16, q8_0 or q4_1").
    public static var supportedNames: String {
        let names = supportedTypes.map { $0.description.lowercased() }
        return names.dropLast().joined(separator: ", ") + " or " + names.last!
    }

    public static func writer(adapter: LoRAAdapter, fit: CoreFit, core: GGUFModelFile, type: GGMLType) throws(ExportError) -> GGUFWriter {
        guard supportedTypes.contains(type) else {
            throw .badOption("merged matrices are written as \(supportedNames), not \(type)")
        }
        var w = GGUFWriter(alignment: core.gguf.alignment)
        for key in core.metadata.keys where key != "general.alignment" {
            if let value = core.metadata[key] { w.metadata.set(key, value) }
        }
        let prefix = "swarmtune.merged_adapter."
        w.metadata.set(prefix + "base_core_sha256", .string(fit.coreHash))
        w.metadata.set(prefix + "rank", .uint32(UInt32(adapter.config.rank)))
        w.metadata.set(prefix + "alpha", .float64(adapter.config.alpha))
        w.metadata.set(prefix + "scale", .float32(adapter.config.scale))
        w.metadata.set(prefix + "targets", .string(adapter.config.targets.map(\.rawValue).joined(separator: ",")))
        w.metadata.set(prefix + "type", .string(type.description))
        if let p = adapter.provenance {
            for (key, value) in p.metadata.sorted(by: { $0.key < $1.key }) {
                w.metadata.set(prefix + String(key.dropFirst("swarmtune.".count)), .string(value))
            }
        }

        var adapted: [String: (LoRASlot, LoRAFactors)] = [:]
        for slot in adapter.slots {
            if let f = adapter.factors[slot] { adapted[CoreFit.ggufName(layer: slot.layer, projection: slot.projection)] = (slot, f) }
        }
        let scale = adapter.config.scale
        for info in core.tensors {
            do {
                if let (slot, f) = adapted[info.name] {
                    let merged = try mergedValues(info: info, core: core, factors: f, b: fit.ggufOrderB(f, projection: slot.projection), scale: scale)
                    if type == .f16, let bad = merged.first(where: { abs($0) > 65504 }) {
                        throw ExportError.quantization(tensor: info.name, reason: "value \(bad) overflows f16")
                    }
                    try w.addTensor(name: info.name, shape: info.shape, type: type, data: try Quantize.row(type, merged))
                } else {
                    try w.addTensor(name: info.name, shape: info.shape, type: info.type, data: Array(core.data(of: info)))
                }
            } catch let error as ExportError {
                throw error
            } catch let error as QuantError {
                throw .quantization(tensor: info.name, reason: error.description)
            } catch {
                throw .quantization(tensor: info.name, reason: "\(error)")
            }
        }
        return w
    }

    /// W + scale·B·A for one matrix, row-major [out, in] in GGUF row order.
    static func mergedValues(info: GGUFTensorInfo, core: GGUFModelFile, factors f: LoRAFactors, b: [Float], scale: Float) throws -> [Float] {
        let rows = info.rows, cols = info.columns
        guard info.shape.count == 2, rows == f.outFeatures, cols == f.inFeatures else {
            throw ExportError.adapterDoesNotFitCore(adapter: "adapter", core: core.path,
                                                    reason: "\(info.name) is \(rows)x\(cols), the adapter's factors are \(f.outFeatures)x\(f.inFeatures)")
        }
        var w = try Dequantize.row(info.type, Array(core.data(of: info)), elements: rows * cols)
        let r = f.rank
        var acc = [Double](repeating: 0, count: cols)
        for row in 0..<rows {
            for c in 0..<cols { acc[c] = 0 }
            for k in 0..<r {
                let bk = Double(b[row * r + k])
                if bk == 0 { continue }
                let aRow = k * cols
                for c in 0..<cols { acc[c] += bk * Double(f.a[aRow + c]) }
            }
            let base = row * cols
            for c in 0..<cols { w[base + c] = Float(Double(w[base + c]) + Double(scale) * acc[c]) }
        }
        return w
    }
}
