import Foundation
import LM
import Tensor
import Tokenizer

/// `swarmtune generate`: text from the core, streamed to stdout.
struct GenerateCommand: Command {
    static let name = "generate"
    static let summary = "generate text from a core (streamed), greedy or seeded sampling"
    static let discussion = """
        Streams the completion alone to stdout; diagnostics (prompt size, speed) go to stderr.
        Sampling is greedy unless --temperature is given; a seeded run is reproducible.
        """
    static let examples = [
        "generate --model models/SmolLM2-135M-Instruct.Q4_1.gguf --chat --prompt \"What is gossip?\"",
        "generate --model models/SmolLM2-135M-Instruct.Q4_1.gguf --prompt \"Once upon a time\" --temperature 0.8 --top-p 0.95 --seed 7 --max-tokens 64",
    ]

    struct Options: Declarations {
        let model = Option.text("--model", "PATH", help: "the core (a GGUF file)", required: true)
        let adapter = Option.text("--adapter", "DIR", help: "apply a LoRA adapter (a PEFT directory, e.g. from 'swarmtune train --out'); one trained on another core is refused")
        let prompt = Option.text("--prompt", "TEXT", help: "the prompt", required: true)
        let chat = Flag("--chat", help: "wrap the prompt as a user turn in the core's chat template (ChatML for SmolLM2) and stop at the end of the assistant's turn")
        let system = Option.text("--system", "TEXT", help: "a system message (with --chat)")
        let maxTokens = Option.integer("--max-tokens", help: "tokens to generate at most", default: 128, range: 1...100_000)
        let greedy = Flag("--greedy", help: "always take the most likely token (the default)")
        let temperature = Option.number("--temperature", "T", help: "sample at this temperature instead", range: 0...100)
        let topP = Option.number("--top-p", "P", help: "nucleus sampling: keep the most likely tokens up to this probability mass", default: 1, range: 0...1)
        let seed = Option.integer("--seed", "S", help: "seed of the sampler", default: 0, range: 0...Int.max)
        let threads = Option.threads
    }

    let path: String
    let adapterDir: String?
    let prompt: String
    let chat: Bool
    let system: String?
    let maxTokens: Int
    let greedy: Bool
    let temperature: Double?
    let topP: Double
    let seed: Int
    let threads: Int?

    init(_ d: Options, _ p: inout ParsedArguments) throws(CLIError) {
        path = try p.value(d.model)
        adapterDir = try p.optional(d.adapter)
        prompt = try p.value(d.prompt)
        chat = p.flag(d.chat)
        system = try p.optional(d.system)
        maxTokens = try p.value(d.maxTokens)
        greedy = p.flag(d.greedy)
        temperature = try p.optional(d.temperature)
        topP = try p.value(d.topP)
        seed = try p.value(d.seed)
        threads = try p.optional(d.threads)
    }

    func validate() throws(CLIError) {
        if greedy && temperature != nil {
            throw .usage(command: Self.name, message: "--greedy and --temperature exclude each other")
        }
        if system != nil && !chat { throw .usage(command: Self.name, message: "--system needs --chat") }
    }

    func run() throws(CLIError) {
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
        guard !ids.isEmpty else { throw .usage(command: Self.name, message: "the prompt is empty") }
        let context = min(model.config.contextLength, ids.count + maxTokens + 1)
        let session = try CLIError.allocating("a context of \(context) tokens (the prompt + --max-tokens)") { () throws(AllocationError) in
            try InferenceSession(model: model, contextLength: context, maxBatch: 128, pool: ComputePool(threads: threads))
        }
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
