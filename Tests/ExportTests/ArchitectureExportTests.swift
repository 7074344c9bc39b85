import Foundation
import Testing
import Adapters
import LM
import ModelIO
import SwarmBase
import TestSupport
import Train
@testable import Export

/// Exports on the tiny Llama 3 and Qwen2 cores (`ReferenceCore`, from the specs
/// scripts/reference/arch_fixtures.py wrote): an adapter folded into the core gives the logits of core +
/// adapter, so q/k rows land where each architecture's file keeps them.
///
/// With SWARMTUNE_ARCH_EXPORT=DIR the PEFT directory, GGUF LoRA and merged core of each are
/// written there with our logits, for scripts/reference/arch_export_check.py (PEFT on
/// transformers, and llama.cpp).
@Suite struct ArchitectureExportTests {
    /// The reference core `arch`, written by `ReferenceCore` into `dir`.
    static func model(_ arch: String, in dir: TemporaryDirectory) throws -> LlamaModel {
        try LlamaModel(path: try ReferenceCore.file(arch, in: dir.path))
    }

    /// An adapter on every projection, large enough to move the logits by about 1.
    static func adapter(for model: LlamaModel, seed: UInt64) -> LoRAParameters {
        let lora = LoRAParameters(config: LoRAConfig(rank: 4, alpha: 8, targets: LoRATarget.allCases), model: model.config)
        var rng = SeededRandom(seed: seed)
        for s in lora.slots {
            for i in 0..<(4 * s.inputs) { lora.a(s)[i] = rng.nextSignedUnit() / Float(s.inputs).squareRoot() }
            for i in 0..<(4 * s.outputs) { lora.bt(s)[i] = rng.nextSignedUnit() * 0.3 }
        }
        return lora
    }

    static let prompt: [Int32] = (0..<48).map { (i: Int) -> Int32 in
        let t: Int = (i * i * 13 + 5 * i + 3) % 275
        return Int32(t)
    }

    static func logits(_ model: LlamaModel, _ lora: LoRAParameters?) throws -> [Float] {
        let session = try InferenceSession(model: model, contextLength: 64)
        session.lora = lora
        return Array(try session.append(prompt))
    }

    @Test(arguments: ["llama3", "qwen2"])
    func mergedCoreGivesTheLogitsOfCorePlusAdapter(arch: String) throws {
        let dir = TemporaryDirectory()
        let model = try Self.model(arch, in: dir)
        let lora = Self.adapter(for: model, seed: arch == "qwen2" ? 2 : 3)
        let adapter = AdapterConversion.adapter(from: lora, provenance: AdapterProvenance(coreHash: model.computeCoreHash().hex,
                                                                                            swarmtuneVersion: "test", seed: 1))
        let fit = try CoreFit(adapter: adapter, adapterPath: "(test)", core: model.file)
        let mergedPath = dir.file("merged.f32.gguf")
        try GGUFMergedExport.writer(adapter: adapter, fit: fit, core: model.file, type: .f32).write(to: mergedPath)
        let base = try Self.logits(model, nil), withAdapter = try Self.logits(model, lora)
        let merged = try Self.logits(try LlamaModel(path: mergedPath), nil)
        let moved = zip(base, withAdapter).map { abs($0 - $1) }.max()!
        let diff = zip(merged, withAdapter).map { abs($0 - $1) }.max()!
        print("tiny-\(arch): the adapter moves the logits by up to \(moved); merged core vs core + adapter \(diff)")
        #expect(moved > 0.3)
        #expect(diff < 1e-4)
    }

    @Test(arguments: ["llama3", "qwen2"])
    func ggufLoRANamesTheCoresArchitecture(arch: String) throws {
        let dir = TemporaryDirectory()
        let model = try Self.model(arch, in: dir)
        let adapter = AdapterConversion.adapter(from: Self.adapter(for: model, seed: 5), provenance: nil)
        let fit = try CoreFit(adapter: adapter, adapterPath: "(test)", core: model.file)
        let w = try GGUFLoRAExport.writer(adapter: adapter, fit: fit)
        #expect(w.metadata["general.architecture"]?.stringValue == model.config.architecture.rawValue)
    }

    /// PEFT holds B in Hugging Face row order: a Llama file's q/k rows are permuted on the way,
    /// a Qwen2 file's are not, and the way back restores the engine's parameters exactly.
    @Test(arguments: ["llama3", "qwen2"])
    func peftRowOrderFollowsTheArchitecture(arch: String) throws {
        let dir = TemporaryDirectory()
        let model = try Self.model(arch, in: dir)
        let lora = Self.adapter(for: model, seed: 7)
        let adapter = AdapterConversion.adapter(from: lora, provenance: nil)
        let q = lora.slots.first { $0.target == .q && $0.layer == 0 }!
        let f = adapter.factors[LoRASlot(layer: 0, projection: .q)]!
        let r = lora.config.rank
        let row1 = (0..<r).map { f.b[1 * r + $0] }, engineRow1 = (0..<r).map { lora.bt(q)[$0 * q.outputs + 1] }
        // HF row 1 is GGUF row 2 in a permuted (Llama) file: head 0's pair 1 starts there.
        let engineRow2 = (0..<r).map { lora.bt(q)[$0 * q.outputs + 2] }
        #expect(arch == "llama3" ? row1 == engineRow2 : row1 == engineRow1)
        let back = try AdapterConversion.parameters(from: adapter, model: model.config, path: "(test)")
        #expect(Array(UnsafeBufferPointer(start: back.values.pointer, count: back.count)) ==
                Array(UnsafeBufferPointer(start: lora.values.pointer, count: lora.count)))
    }

    @Test func exportsAreDumpedForTheReferenceCheck() throws {
        guard let dir = ProcessInfo.processInfo.environment["SWARMTUNE_ARCH_EXPORT"] else { return }
        var summary: [String: Any] = [:]
        for arch in ["llama3", "qwen2"] {
            let corePath = try ReferenceCore.file(arch, in: dir)  // kept for the check script
            let model = try LlamaModel(path: corePath)
            let lora = Self.adapter(for: model, seed: arch == "qwen2" ? 2 : 3)
            let adapter = AdapterConversion.adapter(from: lora, provenance: nil)
            let fit = try CoreFit(adapter: adapter, adapterPath: "(test)", core: model.file)
            let out = dir + "/" + arch
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try adapter.write(to: out + "/peft", replacingExisting: true)
            try GGUFLoRAExport.writer(adapter: adapter, fit: fit).write(to: out + "/adapter.lora.gguf")
            try GGUFMergedExport.writer(adapter: adapter, fit: fit, core: model.file, type: .f32).write(to: out + "/merged.f32.gguf")
            summary[arch] = ["core": corePath, "peft": out + "/peft", "lora_gguf": out + "/adapter.lora.gguf",
                             "merged_gguf": out + "/merged.f32.gguf", "prompt": Self.prompt.map(Int.init),
                             "base_logits": try Self.logits(model, nil).map(Double.init),
                             "adapter_logits": try Self.logits(model, lora).map(Double.init)]
        }
        try JSONSerialization.data(withJSONObject: summary).write(to: URL(fileURLWithPath: dir + "/arch_export.json"))
        print("wrote \(dir)/arch_export.json")
    }
}
