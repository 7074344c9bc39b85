import Foundation
import Testing
import Adapters
import LM
import ModelIO
import TestSupport
import Train
import TrainData
@testable import Export

/// Second tier, on demand: exports a real trained adapter for the real core (GGUF LoRA and merged
/// f16 core), runs our engine over ~1,000 positions, checks that base + adapter and the merged
/// core agree, and writes the positions with our top-1 tokens for
/// scripts/reference/llamacpp_adapter_check.py, which runs llama.cpp on the same files.
///
///     SWARMTUNE_EXPORT_ADAPTER=/tmp/exp-adapter SWARMTUNE_DUMP_TOP1=/tmp/exp-check/top1.json \
///       swift test --filter RealCoreExportTests
enum ExportCheckEnvironment {
    static var adapterPath: String? { ProcessInfo.processInfo.environment["SWARMTUNE_EXPORT_ADAPTER"] }
    static var dumpPath: String? { ProcessInfo.processInfo.environment["SWARMTUNE_DUMP_TOP1"] }
    static var isSet: Bool { RealCore.isAvailable && adapterPath != nil && dumpPath != nil }
}

@Suite(.enabled(if: ExportCheckEnvironment.isSet,
                "needs the real core, SWARMTUNE_EXPORT_ADAPTER=DIR and SWARMTUNE_DUMP_TOP1=FILE"))
struct RealCoreExportTests {
    static func argmax(_ x: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        for i in x.indices where x[i] > x[best] { best = i }
        return best
    }

    @Test func mergedCoreAndAdapterAgreeAndPositionsAreDumped() throws {
        let corePath = RealCore.path!, adapterDir = ExportCheckEnvironment.adapterPath!, dump = ExportCheckEnvironment.dumpPath!
        let outDir = URL(fileURLWithPath: dump).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        let model = try LlamaModel(path: corePath)
        let adapter = try LoRAAdapter.read(directory: adapterDir)
        let fit = try CoreFit(adapter: adapter, adapterPath: adapterDir, core: model.file)
        let loraPath = outDir + "/adapter.lora.gguf", mergedPath = outDir + "/merged.f16.gguf"
        try GGUFLoRAExport.writer(adapter: adapter, fit: fit).write(to: loraPath)
        try GGUFMergedExport.writer(adapter: adapter, fit: fit, core: model.file, type: .f16).write(to: mergedPath)

        let core = try CoreTokenizer(metadata: model.file.metadata, path: corePath)
        let template = try #require(core.chatTemplate)
        var sequences: [[Int32]] = []
        var total = 0
        for e in SyntheticTasks.generate(count: 200, seed: 4242) where total < 1000 {
            let ids = template.example(e.record, tokenizer: core.tokenizer).ids
            let seq = Array(ids.prefix(min(ids.count, 1000 - total)))
            sequences.append(seq)
            total += seq.count
        }
        let withAdapter = try InferenceSession(model: model, contextLength: 256)
        withAdapter.lora = try AdapterConversion.parameters(from: adapter, model: model.config, path: adapterDir)
        let merged = try InferenceSession(model: try LlamaModel(path: mergedPath), contextLength: 256)
        var top1Adapter: [[Int]] = [], top1Merged: [[Int]] = [], lastLogits: [[Float]] = []
        var agree = 0
        for seq in sequences {
            withAdapter.reset(); merged.reset()
            var a: [Int] = [], m: [Int] = []
            for t in seq {
                a.append(Self.argmax(try withAdapter.append([t])))
                let lm = try merged.append([t])
                m.append(Self.argmax(lm))
                if t == seq.last, lastLogits.count < 3, a.count == seq.count { lastLogits.append(Array(lm)) }
            }
            agree += zip(a, m).filter { $0 == $1 }.count
            top1Adapter.append(a); top1Merged.append(m)
        }
        let rate = Double(agree) / Double(total)
        print("real core: base+adapter vs merged f16 core, top-1 agreement \(agree)/\(total) = \(rate)")
        #expect(rate > 0.98)
        let json: [String: Any] = [
            "core": corePath, "lora_gguf": loraPath, "merged_gguf": mergedPath, "adapter": adapterDir,
            "sequences": sequences.map { $0.map(Int.init) },
            "top1_adapter": top1Adapter, "top1_merged": top1Merged,
            "merged_last_logits": lastLogits.map { $0.map(Double.init) },
        ]
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: dump))
    }
}
