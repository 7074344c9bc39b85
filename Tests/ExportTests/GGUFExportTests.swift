import Foundation
import Testing
import Adapters
import LM
import ModelIO
import Quant
import SwarmTuneCLI
import TestSupport
import Train
@testable import Export

/// GGUF LoRA and merged-core exports on a tiny generated core.
@Suite struct GGUFExportTests {
    typealias F = AdapterFactory

    struct Core {
        let dir = TemporaryDirectory()
        let path: String
        let stored: [String: [Float]]
        let file: GGUFModelFile
        let config: LlamaConfig
        let hash: String

        init(matrixType: GGMLType = .f32) throws {
            path = dir.file("tiny.gguf")
            var tiny = TinyModel()
            tiny.matrixType = matrixType
            stored = try tiny.write(to: path)
            file = try GGUFModelFile(path: path)
            config = try LlamaConfig(metadata: file.metadata, path: path)
            hash = CoreHash.compute(file).hex
        }

        func adapter(seed: UInt64 = 5, targets: [LoRAProjection] = LoRAProjection.allCases) -> LoRAAdapter {
            F.random(seed: seed, rank: 4, alpha: 8, targets: targets, shape: config.loraModelShape, coreHash: hash)
        }
    }

    @Test func ggufLoRAParsesBackWithLlamaCppNamesShapesAndAlpha() throws {
        let core = try Core()
        var adapter = core.adapter()
        adapter.config.useRSLoRA = true   // llama.cpp scales by alpha / r: alpha is rewritten to keep the scale
        let fit = try CoreFit(adapter: adapter, adapterPath: "adapter", core: core.file)
        let out = core.dir.file("lora.gguf")
        try GGUFLoRAExport.writer(adapter: adapter, fit: fit).write(to: out)
        let back = try GGUFModelFile(path: out)
        #expect(back.metadata["general.architecture"]?.stringValue == "llama")
        #expect(back.metadata["general.type"]?.stringValue == "adapter")
        #expect(back.metadata["adapter.type"]?.stringValue == "lora")
        let alpha = try #require(back.metadata["adapter.lora.alpha"])
        #expect(alpha.type == .float32)
        #expect(abs(Float(alpha.doubleValue!) / 4 - adapter.config.scale) < 1e-6)
        #expect(back.metadata[AdapterProvenance.coreHashKey]?.stringValue == core.hash)
        #expect(back.tensors.count == 2 * adapter.slots.count)
        let hd = core.config.headDim
        for slot in adapter.slots {
            let f = adapter.factors[slot]!
            let base = CoreFit.ggufName(layer: slot.layer, projection: slot.projection)
            let model = try core.file.tensor(named: base)
            let a = try back.tensor(named: base + ".lora_a"), b = try back.tensor(named: base + ".lora_b")
            // llama.cpp's checks: a.ne[0] == W.ne[0] (in), b.ne[1] == W.ne[1] (out), a.ne[1] == b.ne[0] (r).
            #expect(a.shape == [model.shape[0], 4])
            #expect(b.shape == [4, model.shape[1]])
            #expect(a.type == .f32 && b.type == .f32)
            let aValues = try Dequantize.row(.f32, Array(back.data(of: a)), elements: a.elementCount)
            let bValues = try Dequantize.row(.f32, Array(back.data(of: b)), elements: b.elementCount)
            #expect(aValues == f.a)
            for row in 0..<f.outFeatures {
                let hf = slot.projection == .q || slot.projection == .k ? RowOrder.hfRow(forGGUFRow: row, headDim: hd) : row
                #expect(Array(bValues[(row * 4)..<(row * 4 + 4)]) == Array(f.b[(hf * 4)..<(hf * 4 + 4)]))
            }
        }
    }

    /// scale·B·A with B's rows in GGUF order, as the engine's adapter computes it.
    static func expectedUpdate(_ f: LoRAFactors, _ b: [Float], scale: Float) -> [Float] {
        var out = [Float](repeating: 0, count: f.outFeatures * f.inFeatures)
        for i in 0..<f.outFeatures {
            for j in 0..<f.inFeatures {
                var s = 0.0
                for k in 0..<f.rank { s += Double(b[i * f.rank + k]) * Double(f.a[k * f.inFeatures + j]) }
                out[i * f.inFeatures + j] = Float(Double(scale) * s)
            }
        }
        return out
    }

    @Test(arguments: [GGMLType.f16, .q8_0, .q4_1])
    func mergedCoreHoldsBasePlusUpdateWithinQuantizationError(type: GGMLType) throws {
        let core = try Core()
        let adapter = core.adapter(targets: [.q, .k, .o, .down])
        let fit = try CoreFit(adapter: adapter, adapterPath: "adapter", core: core.file)
        let out = core.dir.file("merged.gguf")
        try GGUFMergedExport.writer(adapter: adapter, fit: fit, core: core.file, type: type).write(to: out)
        let merged = try GGUFModelFile(path: out)
        for key in core.file.metadata.keys { #expect(merged.metadata[key] == core.file.metadata[key], "\(key)") }
        #expect(merged.metadata["swarmtune.merged_adapter.base_core_sha256"]?.stringValue == core.hash)
        #expect(merged.metadata["swarmtune.merged_adapter.core_sha256"]?.stringValue == core.hash)
        var adaptedNames: Set<String> = []
        var worst = 0.0
        for slot in adapter.slots {
            let f = adapter.factors[slot]!
            let name = CoreFit.ggufName(layer: slot.layer, projection: slot.projection)
            adaptedNames.insert(name)
            let info = try merged.tensor(named: name)
            #expect(info.type == type)
            let got = try Dequantize.row(type, Array(merged.data(of: info)), elements: info.elementCount)
            let update = Self.expectedUpdate(f, fit.ggufOrderB(f, projection: slot.projection), scale: adapter.config.scale)
            let base = core.stored[name]!
            // Per 32-value block: the format's rounding step bounds the error.
            for start in stride(from: 0, to: got.count, by: 32) {
                let expected = (start..<(start + 32)).map { base[$0] + update[$0] }
                let lo = expected.min()!, hi = expected.max()!, absMax = max(abs(lo), abs(hi))
                let bound: Float = switch type {
                case .q8_0: absMax / 127 * (0.5 + 127 * 0x1p-11) + 1e-6   // rounding + the f16 scale
                case .q4_1: (hi - lo) / 15 * 0.5 * 1.01 + absMax * 2e-3 + 1e-6
                default: absMax * 4.9e-4 + 1e-7
                }
                for (i, e) in expected.enumerated() {
                    let err = abs(got[start + i] - e)
                    worst = max(worst, Double(err / max(absMax, 1e-6)))
                    #expect(err <= bound, "\(name)[\(start + i)]: \(got[start + i]) vs \(e)")
                }
            }
        }
        print("merged \(type): worst error relative to block max \(worst)")
        // Everything else is copied byte for byte.
        for info in core.file.tensors where !adaptedNames.contains(info.name) {
            let copy = try merged.tensor(named: info.name)
            #expect(copy.type == info.type && copy.shape == info.shape)
            #expect(Array(merged.data(of: copy)) == Array(core.file.data(of: info)))
        }
    }

    @Test func mergedF16CoreGivesTheLogitsOfBasePlusAdapter() throws {
        let core = try Core()
        let adapter = core.adapter()
        let fit = try CoreFit(adapter: adapter, adapterPath: "adapter", core: core.file)
        var worst: [GGMLType: Float] = [:]   // max-abs logit difference relative to the largest logit
        let tokens: [Int32] = [1, 40, 72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100, 33, 2, 7, 200, 150, 30]
        let base = try LlamaModel(file: core.file)
        let reference = try InferenceSession(model: base, contextLength: 64)
        reference.lora = try AdapterConversion.parameters(from: adapter, model: core.config, path: "adapter")
        let bare = try InferenceSession(model: base, contextLength: 64)
        for type in [GGMLType.f16, .q8_0] {
            let out = core.dir.file("merged-\(type).gguf")
            try GGUFMergedExport.writer(adapter: adapter, fit: fit, core: core.file, type: type).write(to: out)
            let merged = try InferenceSession(model: try LlamaModel(path: out), contextLength: 64)
            reference.reset(); merged.reset(); bare.reset()
            var maxDiff: Float = 0, maxAdapterEffect: Float = 0, scaleOfLogits: Float = 0
            for t in tokens {
                let r = Array(try reference.append([t]))
                let m = Array(try merged.append([t]))
                let b = Array(try bare.append([t]))
                for i in r.indices {
                    maxDiff = max(maxDiff, abs(r[i] - m[i]))
                    maxAdapterEffect = max(maxAdapterEffect, abs(r[i] - b[i]))
                    scaleOfLogits = max(scaleOfLogits, abs(r[i]))
                }
            }
            print("merged \(type) vs base+adapter: max-abs logit difference \(maxDiff) (adapter moves logits by up to \(maxAdapterEffect), logits up to \(scaleOfLogits))")
            #expect(maxAdapterEffect > 0.1)   // the comparison means something
            worst[type] = maxDiff / scaleOfLogits
        }
        // f16 weights carry a relative rounding of 2^-11 ≈ 4.9e-4; q8_0 about 1/254 of a block's max.
        #expect(worst[.f16]! < 1e-3)
        #expect(worst[.q8_0]! < 2e-2)
    }

    @Test func adaptersThatDoNotFitTheCoreAreRefusedAndNothingIsWritten() throws {
        let core = try Core()
        var otherCore = core.adapter()
        otherCore.provenance?.coreHash = F.hashB
        #expect(throws: ExportError.self) { try CoreFit(adapter: otherCore, adapterPath: "x", core: core.file) }
        let wrongShape = F.random(seed: 1, coreHash: core.hash)   // AdapterFactory.shape is not the tiny core's
        #expect(throws: ExportError.self) { try CoreFit(adapter: wrongShape, adapterPath: "x", core: core.file) }

        let good = core.dir.file("good"), bad = core.dir.file("bad")
        try core.adapter().write(to: good)
        try otherCore.write(to: bad)
        for format in ["peft", "gguf-lora", "gguf-merged"] {
            let out = core.dir.file("out-\(format)")
            #expect(SwarmTuneCommand.main(["export", bad, "--model", core.path, "--format", format, "--out", out]) == 1)
            #expect(!FileManager.default.fileExists(atPath: out))
            #expect(SwarmTuneCommand.main(["export", good, "--model", core.path, "--format", format, "--out", out]) == 0)
            #expect(FileManager.default.fileExists(atPath: out))
            #expect(SwarmTuneCommand.main(["export", good, "--model", core.path, "--format", format, "--out", out]) == 1)   // exists
        }
        #expect(try LoRAAdapter.read(directory: core.dir.file("out-peft")) == LoRAAdapter.read(directory: good))
        #expect(SwarmTuneCommand.main(["export", good, "--model", core.path, "--format", "gguf-merged", "--type", "q4_0", "--out", core.dir.file("x")]) == 2)
        #expect(SwarmTuneCommand.main(["export", good, "--model", core.path, "--format", "onnx", "--out", core.dir.file("x")]) == 2)
    }
}
