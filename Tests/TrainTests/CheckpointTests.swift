import Foundation
import SwarmBase
import Testing
import Adapters
import LM
import Tensor
import TestSupport
import TrainData
@testable import Train

/// Checkpoints: a resumed run is the uninterrupted run, and a damaged trainer_state.json is refused.
@Suite struct CheckpointTests {
    static func options(steps: Int) -> TrainingOptions {
        var o = TrainingOptions()
        o.batch = 2
        o.seqLen = 160
        o.steps = steps
        o.learningRate = 1e-2
        o.warmupSteps = 1
        o.gradientAccumulation = 2
        o.lora = LoRAConfig(rank: 2, alpha: 4, targets: [.q, .v, .down], dropout: 0.1)
        return o
    }

    static let provenance = AdapterProvenance(coreHash: String(repeating: "ab", count: 32), swarmtuneVersion: "t", seed: 0)

    @Test func halfThenResumeThenHalfEqualsTheStraightRunBitForBit() throws {
        let (model, core, dir) = try TinyModel.loaded()
        let o = Self.options(steps: 6)
        // 5 examples: an epoch (5 draws) ends inside a step, so the replayed data order matters.
        let data = TrainerTests.examples(core, count: 5)
        let pool = ComputePool(threads: 2)
        let straight = Trainer(model: model, options: o, padID: 2, pool: pool)
        for _ in 0..<o.steps { _ = try straight.trainStep(data) }

        let first = Trainer(model: model, options: o, padID: 2, pool: pool)
        for _ in 0..<(o.steps / 2) { _ = try first.trainStep(data) }
        try Checkpoint.save(to: dir.file("ckpt"), trainer: first, provenance: Self.provenance)
        let loaded = try Checkpoint.load(from: dir.file("ckpt"), model: model.config)
        let second = Trainer(model: model, options: o, padID: 2, pool: pool, lora: loaded.parameters)
        try second.resume(from: loaded, exampleCount: data.count)
        #expect(second.step == o.steps / 2)
        while second.step < o.steps { _ = try second.trainStep(data) }

        let sameAdapter = second.lora.values.array == straight.lora.values.array
        let sameMoments = Array(second.optimizer.m.buffer) == Array(straight.optimizer.m.buffer)
        #expect(sameAdapter, "the resumed adapter differs from the uninterrupted one")
        #expect(sameMoments, "the resumed optimizer moments differ from the uninterrupted ones")
        #expect(straight.lora.values.array.contains { $0 != 0 })
    }

    /// A checkpoint replaced by a newer one is never missing: a run killed while saving must
    /// still find one to resume from. A second thread looks for trainer_state.json while the
    /// checkpoint is saved over and over; it must be there every time.
    @Test func savingOverACheckpointNeverLeavesItMissing() throws {
        let (model, core, dir) = try TinyModel.loaded()
        let t = Trainer(model: model, options: Self.options(steps: 2), padID: 2, pool: ComputePool(threads: 1))
        _ = try t.trainStep(TrainerTests.examples(core, count: 4))
        let ckpt = dir.file("ckpt")
        try Checkpoint.save(to: ckpt, trainer: t, provenance: Self.provenance)
        let state = ckpt + "/trainer_state.json"
        final class Watch: @unchecked Sendable {
            let lock = NSLock()
            var done = false, looks = 0, missing = 0
        }
        let watch = Watch(), stopped = Latch()
        Thread {
            defer { stopped.open() }
            while true {
                let present = FileIO.exists(state)
                watch.lock.lock()
                watch.looks += 1
                if !present { watch.missing += 1 }
                let done = watch.done
                watch.lock.unlock()
                if done { return }
            }
        }.start()
        for _ in 0..<100 { try Checkpoint.save(to: ckpt, trainer: t, provenance: Self.provenance) }
        watch.lock.lock()
        watch.done = true
        watch.lock.unlock()
        stopped.wait()
        #expect(watch.looks > 100)
        #expect(watch.missing == 0, "trainer_state.json was missing in \(watch.missing) of \(watch.looks) looks during 100 saves")
        #expect(!FileIO.exists(ckpt + ".staging"))
        _ = try Checkpoint.load(from: ckpt, model: model.config)
    }

    @Test(arguments: [
        (#""step": -1"#, "step"),
        (#""step": 4611686018427387904"#, "step"),
        (#""optimizerStep": -3"#, "optimizerStep"),
        (#""optimizerStep": 99"#, "optimizerStep"),
        (#""step": 2.5"#, "step"),
    ])
    func aDamagedStepIsRefusedNamingTheField(replacement: String, field: String) throws {
        let (model, core, dir) = try TinyModel.loaded()
        let o = Self.options(steps: 4)
        let t = Trainer(model: model, options: o, padID: 2, pool: ComputePool(threads: 2))
        _ = try t.trainStep(TrainerTests.examples(core, count: 4))
        let ckpt = dir.file("ckpt")
        try Checkpoint.save(to: ckpt, trainer: t, provenance: Self.provenance)
        let statePath = ckpt + "/trainer_state.json"
        var text = try String(contentsOfFile: statePath, encoding: .utf8)
        let key = replacement.split(separator: ":")[0]
        let pattern = try NSRegularExpression(pattern: NSRegularExpression.escapedPattern(for: String(key)) + #": *[0-9]+"#)
        text = pattern.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: replacement)
        #expect(text.contains(replacement))
        try text.write(toFile: statePath, atomically: true, encoding: .utf8)
        #expect {
            _ = try Checkpoint.load(from: ckpt, model: model.config)
        } throws: { error in
            guard case let .invalid(path, reason) = error as? Checkpoint.Error else { return false }
            return path == ckpt && reason.contains("trainer_state.json") && reason.contains("'\(field)'")
        }
    }
}
