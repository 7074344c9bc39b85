import Foundation
import LM
import Tensor
import Tokenizer

/// `swarmtune generate`: text from the core, streamed to stdout.
enum GenerateCommand {
    static let help = """
        USAGE: swarmtune generate --model PATH [--adapter DIR] --prompt TEXT [--chat] [--system TEXT] [--max-tokens N]
                                  [--greedy | --temperature T [--top-p P] [--seed S]] [--threads N]

        Streams the completion alone to stdout; diagnostics (prompt size, speed) go to stderr.
        --chat wraps the prompt as a user turn in the core's chat template (ChatML for SmolLM2)
        and stops at the end of the assistant's turn. Sampling is greedy unless --temperature is
        given; a seeded run is reproducible. --adapter applies a LoRA adapter (PEFT directory, e.g.
        from 'swarmtune train --out') on top of the core; one trained on another core is refused.

        EXAMPLES:
          swarmtune generate --model models/SmolLM2-135M-Instruct.Q4_1.gguf --chat --prompt "What is gossip?"
          swarmtune generate --model models/SmolLM2-135M-Instruct.Q4_1.gguf --prompt "Once upon a time" \\
              --temperature 0.8 --top-p 0.95 --seed 7 --max-tokens 64
        """

    static func run(_ args: inout Arguments) throws(CLIError) {
        let path = try args.required("--model")
        let adapterDir = try args.option("--adapter")
        let prompt = try args.required("--prompt")
        let chat = args.flag("--chat")
        let system = try args.option("--system")
        let maxTokens = try args.int("--max-tokens", default: 128, range: 1...100_000)!
        let greedy = args.flag("--greedy")
        let temperature = try args.double("--temperature", range: 0...100)
        let topP = try args.double("--top-p", default: 1.0, range: 0...1)!
        let seed = try args.int("--seed", default: 0, range: 0...Int.max)!
        let threads = try args.int("--threads", range: 1...256)
        try args.finish()
        if greedy && temperature != nil {
            throw .usage(command: "generate", message: "--greedy and --temperature exclude each other")
        }
        if system != nil && !chat { throw .usage(command: "generate", message: "--system needs --chat") }

        let (model, core) = try CoreLoading.core(path)
        let lora = try adapterDir.map { (dir) throws(CLIError) in try CoreLoading.adapter(dir, model: model) }
        var text = prompt
        if chat {
            guard let template = core.chatTemplate else {
                throw .failure("\(path): cannot use --chat: \(core.chatTemplateError ?? "no chat template")")
            }
            var messages: [ChatMessage] = []
            if let system { messages.append(ChatMessage(role: "system", content: system)) }
            messages.append(ChatMessage(role: "user", content: prompt))
            text = template.render(messages, addGenerationPrompt: true)
        }
        let ids = core.tokenizer.encode(text)
        guard !ids.isEmpty else { throw .usage(command: "generate", message: "the prompt is empty") }
        let context = min(model.config.contextLength, ids.count + maxTokens + 1)
        let session = InferenceSession(model: model, contextLength: context, maxBatch: 128, pool: ComputePool(threads: threads))
        session.lora = lora
        var sampler = Sampler(temperature.map { .temperature(Float($0), topP: Float(topP), seed: UInt64(seed)) } ?? .greedy)
        var stream = UTF8StreamBuffer()
        let start = Date()
        let result: Generator.Result
        do {
            result = try Generator(session: session, tokenizer: core.tokenizer)
                .generate(prompt: ids, maxTokens: maxTokens, sampler: &sampler) { bytes in
                    let ready = stream.push(bytes)
                    if !ready.isEmpty { Output.outBytes(ready) }
                }
        } catch { throw .failure(error.description) }
        let rest = stream.flush()
        if !rest.isEmpty { Output.outBytes(rest) }
        Output.out("")
        let seconds = Date().timeIntervalSince(start)
        Output.err(String(format: "[%d prompt tokens, %d generated in %.2f s (%.1f tokens/s), %@]", ids.count, result.tokens.count,
                          seconds, Double(ids.count + result.tokens.count) / max(seconds, 1e-9),
                          result.stoppedAtEnd ? "end of turn" : "token limit"))
    }
}
