import Foundation
import Scenario
import LM
import ModelIO
import Simulation
import SwarmBase
import Tensor
import Tokenizer
import Train
import Adapters
import Consensus
import Export
import TrainData

/// `swarmtune demo`: the README's main job, end to end on the real core.
struct DemoCommand: Command {
    static let name = "demo"
    static let summary = "the main job: a swarm of real node processes on the real core, ending in a report"
    static let discussion = """
        The main job (swift run -c release swarmtune demo). Fetches the core when it is missing
        (scripts/fetch-model), then runs --scenario (scenarios/quickstart.json) on the process
        backend: a swarm CA and one certificate per node, each node's private synthetic data (one
        domain each: dates, units, sort, extract; answers checkable by exact match), and one real
        'swarmtune node' process per node on 127.0.0.1, training LoRA on the shared core and
        averaging the factors with its ring neighbours over mutually authenticated TLS, each with
        its own SQLite state. Then scores the consensus adapter on a global test set that shares no
        instruction with any node's data, against each node trained alone and one adapter trained
        on the pooled data with the same tokens and updates, prints the table, and writes OUT/summary.json,
        OUT/report.html, the nodes' state and logs (OUT/nodes/node-I) and the adapters. A
        previous demo run in OUT is replaced. --single instead fine-tunes one node on --examples
        examples and shows its answers before and after.
        """
    static let examples = [
        "demo",
        "demo --out runs/my-demo",
        "demo --scenario scenarios/iid-ring-8.json",
        "demo --single --steps 60",
    ]

    struct Options: Declarations {
        let scenario = Option.text("--scenario", "FILE", help: "the scenario the swarm demo runs", default: "scenarios/quickstart.json")
        let single = Flag("--single", help: "fine-tune one node instead of running a swarm")
        let model = Option.text("--model", "PATH", help: "the core of --single (fetched when it is the default and missing)", default: BenchForward.defaultModel)
        let examples = Option.integer("--examples", help: "training examples (--single)", default: 300, range: 8...100_000)
        let eval = Option.integer("--eval", help: "held-out examples (--single)", default: 40, range: 1...10_000)
        let steps = Option.integer("--steps", help: "training steps (--single)", default: 200, range: 1...1_000_000)
        let lr = Option.number("--lr", help: "learning rate (--single)", default: 1e-3, range: 0...1)
        let out = Option.text("--out", "DIR", help: "where data, state, adapters and reports go", default: "runs/demo")
        let threads = Option.threads
    }

    /// The options of --single only.
    static let singleOnly = ["--model", "--examples", "--eval", "--steps", "--lr"]

    let scenarioFile: String
    let path: String
    let single: Bool
    let count: Int
    let evalCount: Int
    let steps: Int
    let lr: Double
    let out: String
    let threads: Int?

    init(_ d: Options, _ p: inout ParsedArguments) throws(CLIError) {
        scenarioFile = try p.value(d.scenario)
        path = try p.value(d.model)
        single = p.flag(d.single)
        count = try p.value(d.examples)
        evalCount = try p.value(d.eval)
        steps = try p.value(d.steps)
        lr = try p.value(d.lr)
        out = try p.value(d.out)
        threads = try p.optional(d.threads)
        let names = p.givenNames
        if !single, let stray = Self.singleOnly.first(where: names.contains) {
            throw .usage(command: Self.name, message: "\(stray) applies to --single only; the swarm demo's scenario file says the rest")
        }
        if single, names.contains("--scenario") {
            throw .usage(command: Self.name, message: "--scenario runs a swarm; --single fine-tunes one node")
        }
    }

    /// Fetches the repository's core with scripts/fetch-model when `core` is it and is missing.
    static func ensureCore(_ core: String) throws(CLIError) {
        guard !FileManager.default.fileExists(atPath: core) else { return }
        guard core == BenchForward.defaultModel else { throw .failure("core \(core) not found") }
        Output.err("demo: the core is missing; fetching it with scripts/fetch-model")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "scripts/fetch-model")
        p.standardOutput = FileHandle.standardError  // stdout carries only the report
        do { try p.run() } catch { throw .failure("cannot run scripts/fetch-model (run the demo from the repository root): \(error)") }
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw .failure("scripts/fetch-model failed (exit \(p.terminationStatus))") }
    }

    func run() throws(CLIError) {
        if !single {
            let scenario: Scenario
            do { scenario = try Scenario.load(path: scenarioFile) } catch { throw .failure(error.description) }
            try Self.ensureCore(scenario.core)
            // The demo's own directory: a previous demo run there is replaced.
            if FileIO.kind(of: out + "/nodes") == .directory {
                Output.err("demo: replacing the previous run in \(out)")
                do { try FileIO.removeTree(out) } catch { throw .failure(error.description) }
            }
            Output.out("SwarmTune demo: \(scenario.nodes) node processes train one shared core on private data and agree by gossip over TLS")
            try SimulateCommand.runScenarioProcesses(file: scenarioFile, out: out, threads: threads)
            return
        }
        try Self.ensureCore(path)
        do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
            throw .failure("cannot create \(out): \(error.localizedDescription)")
        }

        let model: LlamaModel, core: CoreTokenizer
        do {
            model = try LlamaModel(path: path)
            core = try CoreTokenizer(metadata: model.file.metadata, path: path)
        } catch { throw .failure(error.description) }
        guard let template = core.chatTemplate else { throw .failure("\(path): \(core.chatTemplateError ?? "no chat template")") }
        let hash = model.computeCoreHash().hex
        Output.err("core: \(path)\ncore hash: \(hash)")

        // The node's private data: written locally, never sent anywhere.
        let seed: UInt64 = 7
        let examples = SyntheticTasks.generate(count: count + evalCount, seed: seed)
        var jsonl = ""
        for e in examples.prefix(count) {
            jsonl += try Output.jsonLine(InstructionRecord(instruction: e.instruction, output: e.output)) + "\n"
        }
        let dataPath = out + "/private-data.jsonl"
        var evalJSONL = ""
        for e in examples.suffix(evalCount) {
            evalJSONL += try Output.jsonLine(InstructionRecord(instruction: e.instruction, output: e.output)) + "\n"
        }
        do {
            try FileIO.writeAtomically(Array(jsonl.utf8), to: dataPath)
            try FileIO.writeAtomically(Array(evalJSONL.utf8), to: out + "/eval-data.jsonl")
        } catch { throw .failure(error.description) }
        Output.err("private data: \(count) examples in \(dataPath), \(evalCount) held out for evaluation")

        let tokenized = examples.map {
            template.example($0.record, tokenizer: core.tokenizer)
        }
        let seqLen = min(256, ((tokenized.map(\.ids.count).max() ?? 64) + 7) / 8 * 8)
        var o = TrainingOptions()
        o.lora = LoRAConfig(rank: 8, alpha: 16, targets: [.q, .k, .v, .o])
        o.learningRate = Float(lr)
        o.warmupSteps = max(1, steps / 20)
        o.steps = steps
        o.batch = 4
        o.seqLen = seqLen
        o.seed = seed
        o.threads = threads
        let summary = try TrainCommand.runLoop(model: model, tokenizer: core.tokenizer, options: o,
                                               train: Array(tokenized.prefix(count)), eval: Array(tokenized.suffix(evalCount)),
                                               evalEvery: max(1, steps / 5), json: false)

        let adapterDir = out + "/adapter"
        let provenance = AdapterProvenance(coreHash: hash, swarmtuneVersion: SwarmTuneCommand.version, seed: seed,
                                           extra: ["steps": String(steps), "source": "swarmtune demo"])
        do {
            try AdapterConversion.adapter(from: summary.lora, provenance: provenance, baseModel: path)
                .write(to: adapterDir, replacingExisting: true)
        } catch { throw .failure(error.description) }
        let first = summary.curve.first, last = summary.curve.last
        let report = Report(
            core: path, coreHash: hash, examples: count, evalExamples: evalCount,
            options: .init(rank: 8, alpha: 16, targets: "q,k,v,o", lr: lr, steps: steps, batch: 4, seqLen: seqLen),
            trainingSeconds: summary.seconds, curve: summary.curve, adapter: adapterDir,
            samples: zip(summary.samplesBefore, summary.samplesAfter).map {
                .init(prompt: $0.0.prompt, expected: $0.0.expected, before: $0.0.got, after: $0.1.got)
            })
        let text = try Output.json(report)
        do { try FileIO.writeAtomically(Array(text.utf8), to: out + "/report.json") } catch { throw .failure(error.description) }

        Output.out("")
        Output.out("SwarmTune demo report (\(out)/report.json)")
        Output.out(String(format: "  exact match on %d held-out examples: %.1f%% before -> %.1f%% after (%d steps, %.0f s)",
                          evalCount, 100 * (first?.exactMatch ?? 0), 100 * (last?.exactMatch ?? 0),
                          steps, summary.seconds))
        Output.out(String(format: "  eval loss: %.3f -> %.3f", first?.loss ?? 0, last?.loss ?? 0))
        Output.out("  learning curve (step: exact match): " + summary.curve.map {
            String(format: "%d: %.0f%%", $0.step, 100 * $0.exactMatch)
        }.joined(separator: ", "))
        Output.out("  adapter (PEFT layout, loads with peft on transformers' model of this GGUF): \(adapterDir)")
        Output.out("  try it: swarmtune generate --model \(path) --adapter \(adapterDir) --chat --prompt \"Rewrite the date 2031-07-09 as DD/MM/YYYY.\"")
        for (b, a) in zip(summary.samplesBefore, summary.samplesAfter) {
            let question = b.prompt.components(separatedBy: "<|im_start|>user\n").last?
                .components(separatedBy: "<|im_end|>").first ?? b.prompt
            Output.out("  Q: \(question)")
            Output.out("     expected: \(b.expected)")
            Output.out("     before:   \(b.got.replacingOccurrences(of: "\n", with: " ").prefix(100))")
            Output.out("     after:    \(a.got)")
        }
    }
}

extension DemoCommand {
    /// The single-node demo's report.json.
    struct Report: Codable {
        struct Options: Codable {
            var rank: Int
            var alpha: Int
            var targets: String
            var lr: Double
            var steps: Int
            var batch: Int
            var seqLen: Int
        }
        struct Sample: Codable {
            var prompt: String
            var expected: String
            var before: String
            var after: String
        }
        var core: String
        var coreHash: String
        var examples: Int
        var evalExamples: Int
        var options: Options
        var trainingSeconds: Double
        var curve: [EvalPoint]
        var adapter: String
        var samples: [Sample]
    }
}
