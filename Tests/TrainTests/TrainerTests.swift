import Foundation
import SwarmBase
import Testing
import Adapters
import LM
import Tensor
import TestSupport
import TrainData
@testable import Train

@Suite struct TrainerTests {
    static func examples(_ core: CoreTokenizer, count: Int) -> [TokenizedExample] {
        SyntheticTasks.generate(count: count, seed: 1).map {
            core.chatTemplate!.example($0.record, tokenizer: core.tokenizer)
        }
    }

    /// A few steps on the tiny core with dropout on (so the dropout stream is exercised too).
    static func smallRun(steps: Int) -> TrainingOptions {
        var o = TrainingOptions()
        o.batch = 2
        o.seqLen = 160
        o.steps = steps
        o.learningRate = 1e-2
        o.lora = LoRAConfig(rank: 2, alpha: 4, targets: [.q, .v, .down], dropout: 0.1)
        return o
    }

    @Test func sameSeedGivesBitIdenticalAdapters() throws {
        let (model, core, dir) = try TinyModel.loaded()
        _ = dir
        let o = Self.smallRun(steps: 3)
        let data = Self.examples(core, count: 6)
        func run() throws -> [Float] {
            let t = try Trainer(model: model, options: o, padID: 2, pool: ComputePool(threads: 2))
            for _ in 0..<o.steps { _ = try t.trainStep(data) }
            return t.lora.values.array
        }
        let a = try run(), b = try run()
        #expect(a == b)
        #expect(a.contains { $0 != 0 })
    }

    @Test("a trainer that gives its workspace back after every step trains bit-identically to one that keeps it")
    func releasingTheWorkspaceChangesNoStep() throws {
        let (model, core, dir) = try TinyModel.loaded()
        _ = dir
        let o = Self.smallRun(steps: 4)
        let data = Self.examples(core, count: 6)
        func run(releasing: Bool) throws -> (values: [Float], losses: [Double]) {
            let t = try Trainer(model: model, options: o, padID: 2, pool: ComputePool(threads: 2))
            var losses: [Double] = []
            for _ in 0..<o.steps {
                losses.append(try t.trainStep(data).loss)
                if releasing { t.releaseWorkspace() }
            }
            return (t.lora.values.array, losses)
        }
        let kept = try run(releasing: false), released = try run(releasing: true)
        #expect(released.losses == kept.losses)
        #expect(released.values.map(\.bitPattern) == kept.values.map(\.bitPattern))
        // The session mixes mapped (large) and heap (small) buffers, so both kinds are released.
        let t = try Trainer(model: model, options: o, padID: 2, pool: ComputePool(threads: 2))
        #expect(t.session.bufferBytes > 4 * FloatBuffer.mappingThreshold)
    }

    @Test func lossFallsOnARepeatedBatch() throws {
        let (model, core, dir) = try TinyModel.loaded()
        _ = dir
        var o = TrainingOptions()
        o.batch = 2
        o.seqLen = 160
        o.learningRate = 5e-2
        o.lora = LoRAConfig(rank: 4, alpha: 8, targets: LoRATarget.allCases)
        let data = Array(Self.examples(core, count: 2))
        let t = try Trainer(model: model, options: o, padID: 2, pool: ComputePool(threads: 2))
        let first = try t.trainStep(data).loss
        var last = first
        for _ in 0..<15 { last = try t.trainStep(data).loss }
        #expect(last < first * 0.7, "loss \(first) -> \(last)")
    }

    @Test(arguments: [false, true])
    func adapterRoundTripsThroughAPEFTDirectory(dora: Bool) throws {
        let (model, _, dir) = try TinyModel.loaded()
        let p = LoRAParameters(config: LoRAConfig(rank: 3, alpha: 6, targets: LoRATarget.allCases, rsLoRA: true, dora: dora),
                               model: model.config)
        var rng = SeededRandom(seed: 4)
        for i in 0..<p.count { p.values[i] = rng.nextFloat() - 0.5 }
        let adapter = AdapterConversion.adapter(from: p, provenance: AdapterProvenance(coreHash: String(repeating: "ab", count: 32), swarmtuneVersion: "t", seed: 1))
        try adapter.write(to: dir.file("adapter"))
        let back = try AdapterConversion.parameters(from: try LoRAAdapter.read(directory: dir.file("adapter")), model: model.config, path: "x")
        #expect(back.config == p.config)
        #expect(back.values.array == p.values.array)
        // q's B rows are permuted into Hugging Face order in the file: row 1 (GGUF) is row headDim/2 (HF).
        let s = p.slot(layer: 0, target: .q)!
        let f = adapter.factors[LoRASlot(layer: 0, projection: .q)]!
        #expect(f.b[(model.config.headDim / 2) * 3 + 0] == p.bt(s)[0 * s.outputs + 1])
    }

    @Test func adapterForAnotherShapeIsRefused() throws {
        let (model, _, dir) = try TinyModel.loaded()
        _ = dir
        var other = model.config
        other.hiddenDim = 96
        let p = LoRAParameters(config: LoRAConfig(rank: 2, alpha: 4, targets: [.down]), model: other)
        let adapter = AdapterConversion.adapter(from: p, provenance: nil)
        #expect(throws: AdapterConversion.Error.self) {
            _ = try AdapterConversion.parameters(from: adapter, model: model.config, path: "other")
        }
    }

    @Test func scheduleWarmsUpThenDecaysToTheFloor() {
        let s = LearningRateSchedule(peak: 1, warmupSteps: 4, totalSteps: 14, minRatio: 0.1)
        #expect(s.rate(at: 0) == 0.25)
        #expect(s.rate(at: 3) == 1)
        #expect(abs(s.rate(at: 9) - 0.55) < 1e-5)
        #expect(abs(s.rate(at: 14) - 0.1) < 1e-6)
    }

    @Test func adamWMatchesTheClosedFormFirstStep() {
        var opt = AdamW(count: 2, weightDecay: 0.1)
        var p: [Float] = [1, -2]
        let g: [Float] = [0.5, -0.25]
        opt.update(&p, gradients: g, count: 2, lr: 0.01)
        // First step: m̂ = g, v̂ = g², so the step is lr·sign(g) (ε negligible) after decay.
        #expect(abs(p[0] - (1 * (1 - 0.001) - 0.01)) < 1e-6)
        #expect(abs(p[1] - (-2 * (1 - 0.001) + 0.01)) < 1e-6)
    }

    @Test func clippingScalesToTheMaxNorm() {
        var g: [Float] = [3, 4]
        let norm = GradientClipping.clip(&g, count: 2, maxNorm: 1)
        #expect(norm == 5)
        #expect(abs(g[0] - 0.6) < 1e-5 && abs(g[1] - 0.8) < 1e-5)
    }
}
