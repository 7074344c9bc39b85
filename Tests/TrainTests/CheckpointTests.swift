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

    /// A trainer one step in, its checkpoint saved as `dir/ckpt`.
    static func trainedOneStep() throws -> (LlamaModel, CoreTokenizer, TemporaryDirectory, Trainer) {
        let (model, core, dir) = try TinyModel.loaded()
        let t = try Trainer(model: model, options: Self.options(steps: 4), padID: 2, pool: ComputePool(threads: 2))
        _ = try t.trainStep(TrainerTests.examples(core, count: 4))
        try Checkpoint.save(to: dir.file("ckpt"), trainer: t, provenance: Self.provenance)
        return (model, core, dir, t)
    }

    @Test func halfThenResumeThenHalfEqualsTheStraightRunBitForBit() throws {
        let (model, core, dir) = try TinyModel.loaded()
        let o = Self.options(steps: 6)
        // 5 examples: an epoch (5 draws) ends inside a step, so the replayed data order matters.
        let data = TrainerTests.examples(core, count: 5)
        let pool = ComputePool(threads: 2)
        let straight = try Trainer(model: model, options: o, padID: 2, pool: pool)
        for _ in 0..<o.steps { _ = try straight.trainStep(data) }

        let first = try Trainer(model: model, options: o, padID: 2, pool: pool)
        for _ in 0..<(o.steps / 2) { _ = try first.trainStep(data) }
        try Checkpoint.save(to: dir.file("ckpt"), trainer: first, provenance: Self.provenance)
        let loaded = try Checkpoint.load(from: dir.file("ckpt"), model: model.config)
        let second = try Trainer(model: model, options: o, padID: 2, pool: pool, lora: loaded.parameters)
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
        let t = try Trainer(model: model, options: Self.options(steps: 2), padID: 2, pool: ComputePool(threads: 1))
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
        let (model, _, dir, _) = try Self.trainedOneStep()
        let ckpt = dir.file("ckpt")
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

    /// optimizer.safetensors with one moment damaged: the load fails naming the tensor and why,
    /// not a bare "does not match". `damage`: the moment left out, one value short, or stored as
    /// integers (a dtype that is not converted to floats).
    @Test(arguments: [("left out", "v", "is missing"), ("one short", "m", "holds"), ("as integers", "m", "cannot be read")])
    func aDamagedOptimizerMomentIsRefusedNamingTheTensor(damage: String, tensor: String, says: String) throws {
        let (model, _, dir, t) = try Self.trainedOneStep()
        let ckpt = dir.file("ckpt"), n = t.lora.count
        let m = Array(t.optimizer.m.buffer), v = Array(t.optimizer.v.buffer)
        var w = SafetensorsWriter()
        switch damage {
        case "left out":
            try w.add("m", shape: [n], values: m)
        case "one short":
            try w.add("m", shape: [n - 1], values: Array(m.dropLast()))
            try w.add("v", shape: [n], values: v)
        default:
            // m is the only F32 tensor; its dtype becomes I32 (same size, not a float).
            try w.add("m", shape: [n], values: m)
            try w.add("v", shape: [n], values: v, dtype: .f16)
        }
        var bytes = w.serialize()
        if damage == "as integers" {
            let at = try #require(bytes.indices.first { Array(bytes[$0..<($0 + 5)]) == Array(#""F32""#.utf8) })
            bytes[at + 1] = UInt8(ascii: "I")
        }
        try FileIO.writeAtomically(bytes, to: ckpt + "/" + Checkpoint.optimizerFile)
        #expect {
            _ = try Checkpoint.load(from: ckpt, model: model.config)
        } throws: { error in
            guard case let .optimizerMoment(path, name, reason) = error as? Checkpoint.Error else { return false }
            let text = (error as? Checkpoint.Error)?.description ?? ""
            return path == ckpt && name == tensor && reason.contains(says) && text.contains(Checkpoint.optimizerFile) && text.contains("'\(tensor)'")
        }
    }

    /// A save onto a full disk (a 1 MB tmpfs filled to the last byte) fails naming the checkpoint
    /// and the full disk, removes its half-written staging directory and leaves the previous
    /// checkpoint loadable and unchanged.
    @Test(.enabled(if: SmallTmpfs.available, "skipped: mounting a tmpfs needs root and permission to mount"))
    func aSaveOnAFullDiskKeepsThePreviousCheckpointAndLeavesNoPartialFiles() throws {
        let (model, core, _) = try TinyModel.loaded()
        let t = try Trainer(model: model, options: Self.options(steps: 4), padID: 2, pool: ComputePool(threads: 2))
        _ = try t.trainStep(TrainerTests.examples(core, count: 4))
        let disk = try SmallTmpfs(size: "1m")
        let ckpt = FileIO.join(disk.path, "ckpt")
        try Checkpoint.save(to: ckpt, trainer: t, provenance: Self.provenance)
        let before = try Checkpoint.load(from: ckpt, model: model.config)
        try SmallTmpfs.fill(disk.path + "/filler")
        _ = try t.trainStep(TrainerTests.examples(core, count: 4))
        #expect {
            try Checkpoint.save(to: ckpt, trainer: t, provenance: Self.provenance)
        } throws: { error in
            guard case let .io(path, reason) = error as? Checkpoint.Error else { return false }
            return path == ckpt && reason.contains("the disk is full")
        }
        let after = try Checkpoint.load(from: ckpt, model: model.config)
        #expect(after.parameters.values.array == before.parameters.values.array && after.state == before.state && after.m == before.m)
        #expect(try FileIO.entries(of: disk.path).sorted() == ["ckpt", "filler"], "left: \((try? FileIO.entries(of: disk.path)) ?? [])")
    }
}
