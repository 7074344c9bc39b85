import ModelIO
import LM
import Quant

/// `swarmtune info MODEL`: what a core file holds and its identity.
struct InfoCommand: Command {
    static let name = "info"
    static let summary = "show a core's architecture, tensor types and core hash"
    static let discussion = """
        Shows a GGUF core's architecture, hyper-parameters, tensor types and sizes, and its core
        hash (the identity every node of a swarm must share).
        """
    static let examples = [
        "info models/SmolLM2-135M-Instruct.Q4_1.gguf",
        "info models/SmolLM2-135M-Instruct.Q4_1.gguf --json",
    ]

    struct Options: Declarations {
        let model = Positional("MODEL", help: "the core (a GGUF file)")
        let json = Flag("--json", help: "print the description as JSON")
    }

    let path: String
    let json: Bool

    init(_ d: Options, _ p: inout ParsedArguments) throws(CLIError) {
        path = try p.positional(d.model)!
        json = p.flag(d.json)
    }

    /// What `info --json` prints.
    struct Report: Codable {
        struct TypeFigures: Codable {
            var tensors: Int
            var bytes: Int
            var elements: Int
        }
        struct Config: Codable {
            var vocabSize: Int
            var dim: Int
            var hiddenDim: Int
            var layers: Int
            var heads: Int
            var kvHeads: Int
            var headDim: Int
            var ropeBase: Double
            var normEpsilon: Double
            var contextLength: Int
            /// "adjacent" (rows 2i, 2i+1; llama) or "halves" (rows i, i + headDim/2; qwen2).
            var ropePairing: String
            /// The file carries Llama 3's `rope_freqs.weight`.
            var ropeFrequencyFactors: Bool
            /// Q/K/V carry biases (Qwen2).
            var attentionBiases: Bool
            /// The output projection is the token embedding (no `output.weight`).
            var tiedOutput: Bool
        }
        var path: String
        var ggufVersion: Int
        var coreHash: String
        var architecture: String
        var name: String
        var tensorCount: Int
        var parameters: Int
        var tensorBytes: Int
        var tensorTypes: [String: TypeFigures]
        var config: Config?
        /// Why SwarmTune cannot run this file (nil when it can).
        var unsupported: String?
    }

    func run() throws(CLIError) {
        let file: GGUFModelFile
        do { file = try GGUFModelFile(path: path) } catch { throw .failure(error.description) }
        let meta = file.metadata
        var byType: [String: (count: Int, bytes: Int, elements: Int)] = [:]
        for t in file.tensors {
            var e = byType[t.type.description] ?? (0, 0, 0)
            e.count += 1
            e.bytes += t.byteCount
            e.elements += t.elementCount
            byType[t.type.description] = e
        }
        let totalBytes = file.tensors.reduce(0) { $0 + $1.byteCount }
        let totalElements = file.tensors.reduce(0) { $0 + $1.elementCount }
        let hash = CoreHash.compute(file).hex
        let config: LlamaConfig?, unsupported: String?
        do {
            config = try LlamaConfig(metadata: meta, path: path)
            unsupported = nil
        } catch {
            config = nil
            unsupported = error.description
        }
        let ropeFactors = file.gguf.tensor(named: "rope_freqs.weight") != nil
        let biases = file.gguf.tensor(named: "blk.0.attn_q.bias") != nil
        let tied = file.gguf.tensor(named: "output.weight") == nil
        func pairing(_ c: LlamaConfig) -> String { c.architecture.rotaryPairing == .adjacent ? "adjacent" : "halves" }

        if json {
            let report = Report(
                path: path, ggufVersion: Int(file.gguf.version), coreHash: hash,
                architecture: meta["general.architecture"]?.stringValue ?? "",
                name: meta["general.name"]?.stringValue ?? "",
                tensorCount: file.tensors.count, parameters: totalElements, tensorBytes: totalBytes,
                tensorTypes: byType.mapValues { .init(tensors: $0.count, bytes: $0.bytes, elements: $0.elements) },
                config: config.map { c in
                    .init(vocabSize: c.vocabSize, dim: c.dim, hiddenDim: c.hiddenDim, layers: c.layers,
                          heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim,
                          ropeBase: Double(c.ropeBase), normEpsilon: Double(c.normEpsilon),
                          contextLength: c.contextLength, ropePairing: pairing(c), ropeFrequencyFactors: ropeFactors,
                          attentionBiases: biases, tiedOutput: tied)
                }, unsupported: unsupported)
            Output.out(try Output.json(report))
            return
        }
        Output.out("file:          \(path)")
        Output.out("name:          \(meta["general.name"]?.stringValue ?? "-")")
        Output.out("architecture:  \(meta["general.architecture"]?.stringValue ?? "-") (GGUF v\(file.gguf.version))")
        if let c = config {
            Output.out("shape:         \(c.layers) layers, dim \(c.dim), ffn \(c.hiddenDim), heads \(c.heads) (kv \(c.kvHeads), size \(c.headDim)), vocab \(c.vocabSize), context \(c.contextLength)")
            Output.out("rope/norm:     base \(c.ropeBase)\(ropeFactors ? " with rope_freqs (Llama 3 scaling)" : ""), pairs \(pairing(c) == "adjacent" ? "adjacent (2i, 2i+1)" : "half a head apart (i, i+\(c.headDim / 2))"), rms eps \(c.normEpsilon)")
            Output.out("block:         \(biases ? "q/k/v biases, " : "")output \(tied ? "tied to the token embedding" : "weight of its own")")
        } else if let unsupported {
            Output.out("supported:     no: \(unsupported)")
        }
        Output.out("parameters:    \(totalElements) in \(file.tensors.count) tensors, \(Output.bytes(totalBytes))")
        for (name, e) in byType.sorted(by: { $0.value.bytes > $1.value.bytes }) {
            let bits = Double(e.bytes * 8) / Double(max(1, e.elements))
            Output.out("  \(name.padding(toLength: 6, withPad: " ", startingAt: 0)) \(String(e.count).leftPad(4)) tensors  \(Output.bytes(e.bytes).leftPad(10))  \(String(format: "%.2f", bits)) bits/weight")
        }
        if let tokens = try? meta.stringArray("tokenizer.ggml.tokens") {
            Output.out("tokenizer:     \(meta["tokenizer.ggml.model"]?.stringValue ?? "?") / \(meta["tokenizer.ggml.pre"]?.stringValue ?? "default"), \(tokens.count) tokens, chat template: \(meta["tokenizer.chat_template"] == nil ? "no" : "yes")")
        }
        Output.out("core hash:     \(hash)")
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
