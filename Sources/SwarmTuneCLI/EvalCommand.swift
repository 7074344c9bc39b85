import Foundation
import LM
import Tensor
import Train

/// `swarmtune eval`: loss, perplexity and greedy exact-match of the core (with an adapter) on a data set.
struct EvalCommand: Command {
    static let name = "eval"
    static let summary = "loss, perplexity and exact-match of a core (+ adapter) on a data set"
    static let discussion = """
        Measures the mean cross-entropy over the trained tokens (the responses), its perplexity,
        and the share of examples whose greedy answer equals the expected response exactly.
        """
    static let examples = [
        "eval --model models/SmolLM2-135M-Instruct.Q4_1.gguf --adapter runs/me/adapter --data held-out.jsonl",
    ]

    struct Options: Declarations {
        let model = Option.text("--model", "CORE", help: "the core (a GGUF file)", required: true)
        let adapter = Option.text("--adapter", "DIR", help: "a LoRA adapter (PEFT directory) on top of the core")
        let data = Option.text("--data", "FILE.jsonl", help: "the evaluation data (JSONL)", required: true)
        let limit = Option.integer("--limit", help: "use the first N examples only", range: 1...10_000_000)
        let seqLen = Option.integer("--seq-len", help: "tokens per example (longer ones are truncated)", default: 256, range: 8...8192)
        let batch = Option.integer("--batch", help: "examples per forward pass", default: 4, range: 1...1024)
        let threads = Option.threads
        let json = Flag("--json", help: "print the figures as JSON")
    }

    let path: String
    let adapterDir: String?
    let dataPath: String
    let limit: Int?
    let seqLen: Int
    let batch: Int
    let threads: Int?
    let json: Bool

    init(_ d: Options, _ p: inout ParsedArguments) throws(CLIError) {
        path = try p.value(d.model)
        adapterDir = try p.optional(d.adapter)
        dataPath = try p.value(d.data)
        limit = try p.optional(d.limit)
        seqLen = try p.value(d.seqLen)
        batch = try p.value(d.batch)
        threads = try p.optional(d.threads)
        json = p.flag(d.json)
    }

    /// What `eval --json` prints.
    struct Report: Codable {
        var examples: Int
        var loss: Double
        var perplexity: Double
        var exactMatch: Double
        var correct: Int
        var total: Int
    }

    func run() throws(CLIError) {
        let (model, core) = try CoreLoading.core(path)
        var examples = try CoreLoading.examples(dataPath, core: core, corePath: path, maxLength: seqLen)
        if let limit { examples = Array(examples.prefix(limit)) }
        guard !examples.isEmpty else { throw .failure("\(dataPath): no usable examples") }
        let lora = try adapterDir.map { (dir) throws(CLIError) in try CoreLoading.adapter(dir, model: model) }
        let pool = ComputePool(threads: threads)
        var o = TrainingOptions()
        o.batch = batch
        o.seqLen = seqLen
        if let lora { o.lora = lora.config }
        let trainer = try CLIError.allocating("--batch \(batch) × --seq-len \(seqLen)") { () throws(AllocationError) in
            try Trainer(model: model, options: o, padID: core.tokenizer.padID ?? 0, pool: pool,
                        lora: lora ?? LoRAParameters(config: o.lora, model: model.config))
        }
        let loss: Double
        let em: ExactMatch.Outcome
        do {
            loss = try trainer.evaluateLoss(examples)
            em = try ExactMatch(model: model, tokenizer: core.tokenizer, lora: lora,
                                contextLength: min(model.config.contextLength, seqLen + 64), pool: pool).run(examples)
        } catch { throw .failure("\(error)") }
        if json {
            Output.out(try Output.json(Report(examples: examples.count, loss: loss, perplexity: exp(loss),
                                              exactMatch: em.rate, correct: em.correct, total: em.total)))
            return
        }
        Output.out(String(format: "%d examples: loss %.4f, perplexity %.3f, exact match %d/%d (%.1f%%)",
                          examples.count, loss, exp(loss), em.correct, em.total, 100 * em.rate)
                   + (em.skipped > 0 ? " (\(em.skipped) prompts fill the context and were not judged)" : ""))
    }
}
