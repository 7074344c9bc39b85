import Foundation
import LM
import Tensor
import Train

/// `swarmtune eval`: loss, perplexity and greedy exact-match of the core (with an adapter) on a data set.
enum EvalCommand {
    static let help = """
        USAGE: swarmtune eval --model CORE [--adapter DIR] --data FILE.jsonl [--limit N] [--seq-len 256]
                              [--batch 4] [--threads N] [--json]

        Measures the mean cross-entropy over the trained tokens (the responses), its perplexity,
        and the share of examples whose greedy answer equals the expected response exactly.

        EXAMPLES:
          swarmtune eval --model models/SmolLM2-135M-Instruct.Q4_1.gguf --adapter runs/me/adapter --data held-out.jsonl
        """

    static func run(_ args: inout Arguments) throws(CLIError) {
        let path = try args.required("--model")
        let adapterDir = try args.option("--adapter")
        let dataPath = try args.required("--data")
        let limit = try args.int("--limit", range: 1...10_000_000)
        let seqLen = try args.int("--seq-len", default: 256, range: 8...8192)!
        let batch = try args.int("--batch", default: 4, range: 1...1024)!
        let threads = try args.int("--threads", range: 1...256)
        let json = args.flag("--json")
        try args.finish()
        let (model, core) = try CoreLoading.core(path)
        var examples = try CoreLoading.examples(dataPath, tokenizer: core.tokenizer, maxLength: seqLen)
        if let limit { examples = Array(examples.prefix(limit)) }
        guard !examples.isEmpty else { throw .failure("\(dataPath): no usable examples") }
        let lora = try adapterDir.map { (dir) throws(CLIError) in try CoreLoading.adapter(dir, model: model) }
        let pool = ComputePool(threads: threads)
        var o = TrainingOptions()
        o.batch = batch
        o.seqLen = seqLen
        if let lora { o.lora = lora.config }
        let trainer = Trainer(model: model, options: o, padID: core.tokenizer.padID ?? 0, pool: pool,
                              lora: lora ?? LoRAParameters(config: o.lora, model: model.config))
        let loss: Double
        let em: ExactMatch.Outcome
        do {
            loss = try trainer.evaluateLoss(examples)
            em = try ExactMatch(model: model, tokenizer: core.tokenizer, lora: lora,
                                contextLength: min(model.config.contextLength, seqLen + 64), pool: pool).run(examples)
        } catch { throw .failure(error.description) }
        if json {
            Output.out(Output.json(["examples": examples.count, "loss": loss, "perplexity": exp(loss),
                                    "exactMatch": em.rate, "correct": em.correct, "total": em.total]))
            return
        }
        Output.out(String(format: "%d examples: loss %.4f, perplexity %.3f, exact match %d/%d (%.1f%%)",
                          examples.count, loss, exp(loss), em.correct, em.total, 100 * em.rate)
                   + (em.skipped > 0 ? " (\(em.skipped) prompts fill the context and were not judged)" : ""))
    }
}
