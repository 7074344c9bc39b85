import Foundation
import LM
import SwarmBase
import Tensor
import Tokenizer
import Train
import Adapters
import TrainData

/// `swarmtune train`: local LoRA fine-tuning on private data.
struct TrainCommand: Command {
    static let name = "train"
    static let summary = "fine-tune LoRA adapters on local data (single node)"
    static let discussion = """
        Trains LoRA adapters on the frozen core. Prints a live progress line (step, loss, tokens/s,
        ETA) on a terminal and plain log lines otherwise. Held-out examples (--eval-fraction of the
        data, or --eval-count N) measure loss, perplexity and greedy exact-match before and after.
        --synthetic N uses N generated instruction examples (dates, units, sort, extract) whose
        answers are checkable by exact match: the bundled sample task.
        """
    static let examples = [
        "train --model models/SmolLM2-135M-Instruct.Q4_1.gguf --synthetic 300 --eval-count 40 --steps 150 --lr 1e-3",
        "train --model models/SmolLM2-135M-Instruct.Q4_1.gguf --data private.jsonl --out runs/me/adapter --steps 500 --checkpoint-every 50",
    ]

    struct Options: Declarations {
        let model = Option.text("--model", "CORE", help: "the core to fine-tune (a GGUF file)", required: true)
        let data = Option.text("--data", "FILE.jsonl", help: "the private training data (JSONL: instruction/input/output, messages or text); give this or --synthetic")
        let synthetic = Option.integer("--synthetic", help: "train on N generated instruction examples instead of --data", range: 1...1_000_000)
        let out = Option.text("--out", "ADAPTER_DIR", help: "write the adapter as a PEFT directory (adapter_config.json + adapter_model.safetensors, core hash recorded)")
        let evalFraction = Option.number("--eval-fraction", help: "hold out this share of --data for evaluation", range: 0...0.9)
        let evalCount = Option.integer("--eval-count", help: "hold out N examples for evaluation", default: 0, range: 0...100_000)
        let evalEvery = Option.integer("--eval-every", help: "also evaluate every N steps (0: before and after only)", default: 0, range: 0...10_000_000)
        let checkpointEvery = Option.integer("--checkpoint-every", help: "save a resumable checkpoint in OUT-checkpoint every N steps (0: never)", default: 0, range: 0...10_000_000)
        let resume = Flag("--resume", help: "continue from the checkpoint in OUT-checkpoint")
        let rank = Option.integer("--rank", help: "LoRA rank", default: 8, range: 1...512)
        let alpha = Option.number("--alpha", help: "LoRA alpha (the update is scaled by alpha / rank)", defaultText: "2 x rank", range: 0.001...100_000)
        let targets = Option.loraTargets(help: "the adapted projections")
        let dropout = Option.number("--dropout", help: "LoRA dropout on the adapter's input", default: 0, range: 0...0.9)
        let rslora = Flag("--rslora", help: "rank-stabilised scaling alpha / sqrt(rank)")
        let dora = Flag("--dora", help: "train DoRA (PEFT's use_dora) instead of plain LoRA")
        let lr = Option.number("--lr", help: "peak learning rate (AdamW)", default: 2e-4, range: 0...1)
        let warmup = Option.integer("--warmup", help: "linear warm-up steps", default: 0, range: 0...1_000_000)
        let steps = Option.integer("--steps", help: "optimizer steps", default: 100, range: 1...10_000_000)
        let batch = Option.integer("--batch", help: "examples per micro-batch", default: 4, range: 1...1024)
        let seqLen = Option.integer("--seq-len", help: "tokens per example (longer ones are truncated)", default: 128, range: 8...8192)
        let gradAccum = Option.integer("--grad-accum", help: "micro-batches per optimizer step", default: 1, range: 1...1024)
        let maxGradNorm = Option.number("--max-grad-norm", help: "clip the gradient to this norm (0: no clipping)", default: 1, range: 0...1e9)
        let weightDecay = Option.number("--weight-decay", help: "AdamW weight decay", default: 0, range: 0...1)
        let seed = Option.integer("--seed", help: "seed of the initialisation, shuffling and held-out split", default: 0, range: 0...Int.max)
        let precision = Option.precision
        let threads = Option.threads
        let json = Flag("--json", help: "print the per-step figures and the evaluation curve as JSON")
    }

    let model: String
    let data: String?
    let synthetic: Int?
    let out: String?
    let evalFraction: Double?
    let evalCount: Int
    let evalEvery: Int
    let checkpointEvery: Int
    let resume: Bool
    let json: Bool
    let dropout: Double
    let options: TrainingOptions
    let precision: PrecisionChoice

    init(_ d: Options, _ p: inout ParsedArguments) throws(CLIError) {
        model = try p.value(d.model)
        data = try p.optional(d.data)
        synthetic = try p.optional(d.synthetic)
        out = try p.optional(d.out)
        evalFraction = try p.optional(d.evalFraction)
        evalCount = try p.value(d.evalCount)
        evalEvery = try p.value(d.evalEvery)
        checkpointEvery = try p.value(d.checkpointEvery)
        resume = p.flag(d.resume)
        json = p.flag(d.json)
        var o = TrainingOptions()
        let rank = try p.value(d.rank)
        let alpha = try p.optional(d.alpha) ?? Double(2 * rank)
        dropout = try p.value(d.dropout)
        o.lora = LoRAConfig(rank: rank, alpha: Float(alpha), targets: try p.value(d.targets), dropout: Float(dropout),
                            rsLoRA: p.flag(d.rslora), dora: p.flag(d.dora))
        o.learningRate = Float(try p.value(d.lr))
        o.warmupSteps = try p.value(d.warmup)
        o.steps = try p.value(d.steps)
        o.batch = try p.value(d.batch)
        o.seqLen = try p.value(d.seqLen)
        o.gradientAccumulation = try p.value(d.gradAccum)
        o.maxGradNorm = Float(try p.value(d.maxGradNorm))
        o.weightDecay = Float(try p.value(d.weightDecay))
        o.seed = UInt64(try p.value(d.seed))
        o.threads = try p.optional(d.threads)
        precision = try p.value(d.precision)
        options = o
    }

    func validate() throws(CLIError) {
        if options.lora.dora && dropout > 0 { throw .usage(command: Self.name, message: "--dora cannot be combined with --dropout (not supported yet)") }
        if (synthetic == nil) == (data == nil) {
            throw .usage(command: Self.name, message: "give exactly one of --data FILE.jsonl and --synthetic N")
        }
        if (checkpointEvery > 0 || resume) && out == nil {
            throw .usage(command: Self.name, message: "--checkpoint-every and --resume need --out (the checkpoint lives beside it, in OUT-checkpoint)")
        }
    }

    func run() throws(CLIError) {
        var o = options
        let path = model
        let note: String
        (o.precision, note) = precision.resolve()
        var evalCount = self.evalCount
        let (model, core) = try CoreLoading.core(path)
        var all: [TokenizedExample]
        if let synthetic {
            guard let template = core.chatTemplate else {
                throw .failure("\(path): --synthetic renders instructions with the core's chat template: \(core.chatTemplateError ?? "none")")
            }
            all = SyntheticTasks.generate(count: synthetic + evalCount, seed: o.seed &+ 17).map {
                template.example($0.record, tokenizer: core.tokenizer)
            }
        } else {
            all = try CoreLoading.examples(data!, core: core, corePath: path, maxLength: o.seqLen)
            if let f = evalFraction { evalCount = Int((Double(all.count) * f).rounded()) }
            var rng = SeededRandom(seed: o.seed &+ 99)
            for i in stride(from: all.count - 1, to: 0, by: -1) { all.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        }
        guard all.count > evalCount else {
            throw .usage(command: Self.name, message: "\(all.count) examples leave nothing to train on after \(evalCount) held out")
        }
        let train = Array(all.prefix(all.count - evalCount)), eval = Array(all.suffix(evalCount))
        let longest = all.map(\.ids.count).max() ?? 0
        if longest > o.seqLen { Output.err("note: \(all.filter { $0.ids.count > o.seqLen }.count) examples exceed --seq-len \(o.seqLen) and are truncated") }
        var resumeFrom: String?
        if resume, let out {
            let dir = out + "-checkpoint"
            guard FileManager.default.fileExists(atPath: dir) else { throw .failure("--resume: no checkpoint at \(dir)") }
            resumeFrom = dir
        }
        let provenance = AdapterProvenance(coreHash: model.computeCoreHash().hex, swarmtuneVersion: SwarmTuneCommand.version,
                                           seed: o.seed, extra: ["steps": String(o.steps)])
        let summary = try Self.runLoop(model: model, tokenizer: core.tokenizer, options: o, train: train, eval: eval, evalEvery: evalEvery,
                                       json: json, checkpoint: out.map { ($0 + "-checkpoint", checkpointEvery, provenance) }, resumeFrom: resumeFrom, note: note)
        if let out {
            let adapter = AdapterConversion.adapter(from: summary.lora, provenance: provenance, baseModel: path)
            do { try adapter.write(to: out, replacingExisting: true) } catch { throw .failure(error.description) }
            Output.err("adapter written to \(out)")
        }
    }

    /// One optimizer step as `--json` reports it.
    struct StepFigures: Codable {
        var step: Int
        var loss: Double
        var lr: Double
        var gradNorm: Double
        var seconds: Double
    }

    /// What `train --json` prints: every step and the evaluation curve.
    struct Report: Codable {
        var steps: [StepFigures]
        var eval: [EvalPoint]
        var seconds: Double
    }

    /// What a training run did: per-step figures, the evaluation curve, the trained adapter.
    struct RunSummary {
        var steps: [StepFigures]
        var curve: [EvalPoint]
        var seconds: Double
        var lora: LoRAParameters
        var samplesBefore: [(prompt: String, expected: String, got: String)]
        var samplesAfter: [(prompt: String, expected: String, got: String)]
    }

    @discardableResult
    static func runLoop(model: LlamaModel, tokenizer: BPETokenizer, options o: TrainingOptions, train: [TokenizedExample],
                        eval: [TokenizedExample], evalEvery: Int, json: Bool,
                        checkpoint: (dir: String, every: Int, provenance: AdapterProvenance)? = nil,
                        resumeFrom: String? = nil, note: String? = nil) throws(CLIError) -> RunSummary {
        let pool = ComputePool(threads: o.threads)
        var resumed: Checkpoint.Loaded?
        if let resumeFrom {
            let loaded: Checkpoint.Loaded
            do { loaded = try Checkpoint.load(from: resumeFrom, model: model.config) } catch { throw .failure(error.description) }
            guard loaded.parameters.config == o.lora else {
                throw .failure("\(resumeFrom): the checkpoint's adapter (rank \(loaded.parameters.config.rank), targets \(loaded.parameters.config.targets.map(\.rawValue))) differs from the options given")
            }
            resumed = loaded
        }
        let trainer = try CLIError.allocating("--batch \(o.batch) × --seq-len \(o.seqLen)") { () throws(AllocationError) in
            try Trainer(model: model, options: o, padID: tokenizer.padID ?? tokenizer.eosID ?? 0, pool: pool, lora: resumed?.parameters)
        }
        if let resumed {
            do { try trainer.resume(from: resumed, exampleCount: train.count) } catch { throw .failure(error.description) }
            Output.err("resumed from \(resumed.path) at step \(resumed.state.step)")
        }
        if let note { Output.err(note) }
        let matcher = try CLIError.allocating("exact match on the eval set") { () throws(AllocationError) in
            try ExactMatch(model: model, tokenizer: tokenizer, lora: trainer.lora,
                           contextLength: min(model.config.contextLength, (eval.map(\.ids.count).max() ?? 0) + 64), pool: pool)
        }
        var lastSamples: [(prompt: String, expected: String, got: String)] = []
        func evaluate(_ label: String, step: Int, elapsed: Double?) throws(CLIError) -> EvalPoint? {
            guard !eval.isEmpty else { return nil }
            do {
                let loss = try trainer.evaluateLoss(eval)
                let em = try matcher.run(eval)
                lastSamples = em.samples
                Output.err(String(format: "eval %@: loss %.4f (perplexity %.2f), exact match %d/%d (%.1f%%)", label, loss, exp(loss),
                                  em.correct, em.total, 100 * em.rate)
                           + (em.skipped > 0 ? " (\(em.skipped) prompts fill the context and were not judged)" : ""))
                for s in em.samples.prefix(2) { Output.err("  expected \(s.expected.debugDescription), got \(s.got.debugDescription)") }
                return EvalPoint(step: step, elapsedSeconds: elapsed, loss: loss, exactMatch: em.rate, correct: em.correct, total: em.total)
            } catch { throw .failure(error.description) }
        }
        var curve: [EvalPoint] = []
        if let before = try evaluate("before", step: 0, elapsed: nil) { curve.append(before) }
        let samplesBefore = lastSamples
        let progress = ProgressLine(total: o.steps)
        let start = Date()
        var reports: [StepFigures] = []
        while trainer.step < o.steps {
            let r: StepReport
            do { r = try trainer.trainStep(train) } catch { throw .failure(error.description) }
            let elapsed = Date().timeIntervalSince(start)
            let tps = Double(r.step * o.batch * o.gradientAccumulation * o.seqLen) / elapsed
            progress.update(step: r.step, text: String(format: "loss %.4f  lr %.2e  |g| %.3f  %.0f tok/s", r.loss, r.learningRate, r.gradientNorm, tps),
                            elapsed: elapsed)
            reports.append(StepFigures(step: r.step, loss: r.loss, lr: Double(r.learningRate), gradNorm: Double(r.gradientNorm), seconds: r.seconds))
            if let checkpoint, checkpoint.every > 0, r.step % checkpoint.every == 0 {
                do { try Checkpoint.save(to: checkpoint.dir, trainer: trainer, provenance: checkpoint.provenance) } catch {
                    throw .failure(error.description)
                }
            }
            if evalEvery > 0, r.step % evalEvery == 0, r.step < o.steps {
                progress.finishLine()
                if let e = try evaluate("step \(r.step)", step: r.step, elapsed: elapsed) { curve.append(e) }
            }
        }
        progress.finishLine()
        let elapsed = Date().timeIntervalSince(start)
        if let after = try evaluate("after", step: o.steps, elapsed: elapsed) { curve.append(after) }
        Output.err(String(format: "trained %d steps in %.1f s", o.steps, elapsed))
        if json { Output.out(try Output.json(Report(steps: reports, eval: curve, seconds: elapsed))) }
        return RunSummary(steps: reports, curve: curve, seconds: elapsed, lora: trainer.lora,
                          samplesBefore: samplesBefore, samplesAfter: lastSamples)
    }
}

/// One status line that rewrites itself on a terminal and becomes periodic log lines otherwise.
final class ProgressLine {
    let total: Int
    let tty = Output.stderrIsTerminal
    private var lastLog = Date.distantPast
    private var dirty = false

    init(total: Int) { self.total = total }

    func update(step: Int, text: String, elapsed: Double) {
        let eta = step > 0 ? elapsed / Double(step) * Double(total - step) : 0
        let line = String(format: "step %d/%d  %@  elapsed %.0fs  ETA %.0fs", step, total, text, elapsed, eta)
        show(line, force: step == total || step == 1)
    }

    /// Shows `line` now: in place on a terminal; otherwise as a log line at most every 5 s
    /// (always when `force`).
    func show(_ line: String, force: Bool = false) {
        if tty {
            Output.err("\r\u{1B}[2K" + line, terminator: "")
            dirty = true
        } else if force || Date().timeIntervalSince(lastLog) >= 5 {
            Output.err(line)
            lastLog = Date()
        }
    }

    func finishLine() {
        if tty && dirty { Output.err(""); dirty = false }
    }
}
