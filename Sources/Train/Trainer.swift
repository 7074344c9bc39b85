import Foundation
import LM
import SwarmBase
import Tensor
import Tokenizer
import TrainData

/// Options of a LoRA training run (PEFT semantics for the adapter; AdamW, warm-up + cosine).
public struct TrainingOptions: Sendable, Equatable {
    public var lora = LoRAConfig()
    public var learningRate: Float = 2e-4
    public var warmupSteps = 0
    public var steps = 100
    public var batch = 4
    public var seqLen = 128
    public var gradientAccumulation = 1
    public var maxGradNorm: Float = 1.0
    public var weightDecay: Float = 0
    public var seed: UInt64 = 0
    public var threads: Int? = nil
    public var precision: Precision = .fp32

    public init() {}

    /// The schedule of a run of known length, the one every swarm backend uses: `steps` steps with
    /// a linear warmup over the first 5% (at least one step).
    public mutating func schedule(steps: Int) {
        self.steps = steps
        warmupSteps = max(1, steps / 20)
    }
}

/// One optimizer step's figures.
public struct StepReport: Sendable {
    public var step: Int
    public var loss: Double
    public var tokens: Int
    public var learningRate: Float
    public var gradientNorm: Float
    public var seconds: Double
}

/// Runs LoRA training steps over tokenized examples: the node's local training loop.
///
/// Deterministic: for a seed and thread count, the same examples give the same adapter bit for
/// bit (the kernels split work between threads by fixed ranges, never by arrival order).
public final class Trainer {
    public let model: LlamaModel
    public let options: TrainingOptions
    public let lora: LoRAParameters
    public let session: TrainingSession
    public var optimizer: AdamW
    public let schedule: LearningRateSchedule
    /// The geometry of every batch (one example per row, padded).
    public let batching: BatchingOptions
    public private(set) var step = 0
    /// Examples drawn so far: draw k is position k % count of epoch k / count's order.
    private var drawn = 0
    private var epochOrder: (epoch: Int, order: [Int]) = (-1, [])
    /// Ranges of `lora.values` that are not trained (their gradients are zeroed before the
    /// optimizer step): the A factors in the swarm's `frozen-a` mode.
    public var frozenRanges: [Range<Int>] = []
    /// Sessions beside `session` that compute micro-batches' gradients during the same step
    /// (`init(lanes:)`); empty when every micro-batch runs on `session`.
    let laneSessions: [TrainingSession]

    /// `lanes` > 1 runs a step's micro-batches (`gradientAccumulation` of them) on that many
    /// sessions at once, each on its own one-thread pool (give `pool` one thread too): on a
    /// machine with few cores, independent micro-batches on separate threads keep them busier
    /// than one micro-batch's matrix products split across threads. The gradients are summed in
    /// lane order, so a step is deterministic for a lane count (and differs from one lane only
    /// in the rounding of that sum). Costs one training workspace per lane. Throws when the
    /// workspaces for `options.batch` × `options.seqLen` do not fit in memory.
    public init(model: LlamaModel, options: TrainingOptions, padID: Int32, pool: ComputePool, lora: LoRAParameters? = nil,
                lanes: Int = 1) throws(AllocationError) {
        self.model = model
        self.options = options
        let params = lora ?? {
            let p = LoRAParameters(config: options.lora, model: model.config)
            p.initialize(seed: options.seed, model: model)
            return p
        }()
        self.lora = params
        session = try TrainingSession(model: model, lora: params, batch: options.batch, seqLen: options.seqLen, pool: pool)
        session.dropoutSeed = options.seed ^ 0xD40F
        session.precision = options.precision
        var others: [TrainingSession] = []
        for _ in 1..<max(1, min(lanes, options.gradientAccumulation)) {
            let lane = try TrainingSession(model: model, lora: params, batch: options.batch, seqLen: options.seqLen, pool: ComputePool(threads: 1))
            lane.dropoutSeed = options.seed ^ 0xD40F
            lane.precision = options.precision
            others.append(lane)
        }
        laneSessions = others
        optimizer = AdamW(count: params.count, weightDecay: options.weightDecay)
        schedule = LearningRateSchedule(peak: options.learningRate, warmupSteps: options.warmupSteps, totalSteps: options.steps)
        batching = BatchingOptions(batchSize: options.batch, sequenceLength: options.seqLen, padID: padID)
    }

    /// Continues from a checkpoint exactly where it stopped: the optimizer's moments and step,
    /// the step counter, the dropout masks' counter and the data position (computed, not
    /// replayed, so any step costs the same). Refuses a checkpoint that does not fit this trainer.
    public func resume(from checkpoint: Checkpoint.Loaded, exampleCount: Int) throws(Checkpoint.Error) {
        let s = checkpoint.state
        guard checkpoint.m.count == optimizer.m.count, checkpoint.v.count == optimizer.v.count else {
            throw .invalid(path: checkpoint.path, reason: "optimizer.safetensors holds \(checkpoint.m.count) moments, the adapter has \(optimizer.m.count) parameters")
        }
        guard exampleCount > 0 else { throw .invalid(path: checkpoint.path, reason: "there are no training examples to continue on") }
        let perStep = options.batch * options.gradientAccumulation
        let (draws, overflow) = s.step.multipliedReportingOverflow(by: perStep)
        guard !overflow else {
            throw .invalid(path: checkpoint.path, reason: "trainer_state.json: 'step' \(s.step) x \(perStep) examples per step overflows")
        }
        optimizer.restore(step: s.optimizerStep, m: checkpoint.m, v: checkpoint.v)
        step = s.step
        drawn = draws
        session.steps = s.microSteps ?? s.step * options.gradientAccumulation
    }

    /// Restores the step counter, the data position and the dropout counter, for a caller that
    /// restores the optimizer itself (the node's store checkpoints). Computed, not replayed; a step
    /// outside 0...Checkpoint.maxStep is clamped into it (callers check it where it is read).
    public func resume(atStep s: Int, exampleCount: Int) {
        step = min(max(0, s), Checkpoint.maxStep)
        let (draws, overflow) = step.multipliedReportingOverflow(by: options.batch * options.gradientAccumulation)
        drawn = overflow ? Int.max / 2 : draws
        session.steps = step.multipliedReportingOverflow(by: options.gradientAccumulation).overflow
            ? Int.max / 2 : step * options.gradientAccumulation
    }

    /// Returns the training workspace's memory between bursts of steps (`TrainingSession.releaseWorkspace`);
    /// the adapter, optimizer state and counters stay, and the next step is unchanged.
    public func releaseWorkspace() {
        session.releaseWorkspace()
        for lane in laneSessions { lane.releaseWorkspace() }
    }

    private func nextIndex(_ count: Int) -> Int {
        let epoch = drawn / count
        if epochOrder.epoch != epoch || epochOrder.order.count != count {
            epochOrder = (epoch, Batcher.order(count: count, seed: options.seed &+ 0x5EED, epoch: epoch))
        }
        defer { drawn += 1 }
        return epochOrder.order[drawn % count]
    }

    /// One optimizer step over the next examples (shuffled each epoch by the seed).
    public func trainStep(_ data: [TokenizedExample]) throws(LMError) -> StepReport {
        guard !data.isEmpty else { throw .badHyperParameter(key: "training examples", value: "0", reason: "a step needs at least one example") }
        let start = Date()
        var micro: [Batch] = []
        for _ in 0..<options.gradientAccumulation {
            let picked = (0..<options.batch).map { _ in data[nextIndex(data.count)] }
            micro.append(Batch(examples: picked, options: batching))
        }
        let total = micro.reduce(0) { $0 + $1.trainableTokenCount }
        session.zeroGradients()
        var lossSum = 0.0
        if !laneSessions.isEmpty && total > 0 {
            lossSum = try accumulateOnLanes(micro, lossScale: 1 / Float(total))
        } else {
            for mb in micro where total > 0 {
                let l = try session.accumulateGradients(ids: mb.ids, labels: mb.labels, lossScale: 1 / Float(total))
                lossSum += l.sum
            }
        }
        for range in frozenRanges { (session.gradients.pointer + range.lowerBound).update(repeating: 0, count: range.count) }
        let norm = GradientClipping.clip(session.gradients.pointer, count: lora.count, maxNorm: options.maxGradNorm)
        let lr = schedule.rate(at: step)
        if total > 0 { optimizer.update(lora.values.pointer, gradients: session.gradients.pointer, count: lora.count, lr: lr) }
        step += 1
        return StepReport(step: step, loss: total > 0 ? lossSum / Double(total) : 0, tokens: micro.count * options.batch * options.seqLen,
                          learningRate: lr, gradientNorm: norm, seconds: Date().timeIntervalSince(start))
    }

    /// Mean loss over examples (forward only), in batches.
    public func evaluateLoss(_ data: [TokenizedExample]) throws(LMError) -> Double {
        var sum = 0.0, tokens = 0
        var i = 0
        while i < data.count {
            let b = Batch(examples: data[i..<min(data.count, i + options.batch)], options: batching)
            let l = try session.evaluate(ids: b.ids, labels: b.labels)
            sum += l.sum
            tokens += l.tokens
            i += options.batch
        }
        return tokens > 0 ? sum / Double(tokens) : 0
    }
}
