import Foundation
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
    static let summary = "the main job: fetch the core, fine-tune on a private sample set, report"
    static let discussion = """
        The main job (swift run -c release swarmtune demo). Fetches the core when it is missing
        (scripts/fetch-model), then runs a small swarm on it in this process: --nodes nodes, each
        with private non-IID instruction data (dates, units, sorting, e-mail extraction; answers
        checkable by exact match), train LoRA locally and average their factors Dec-LoRA style over
        a ring, --rounds times. Reports the training loss and the consensus distance per round, the
        exact match of the consensus adapter against the core and against a node that trained
        alone, sample answers before and after, and writes every node's data and adapter,
        report.json and inspect.html under --out.
        --processes instead creates a swarm CA and node certificates, writes each node's private data
        (one domain per node) and starts --nodes real 'swarmtune node' processes on 127.0.0.1 that
        train and gossip over mutually authenticated TLS for --rounds rounds; then reads every
        node's last checkpoint from its SQLite store, averages them into the consensus adapter and
        reports exact match of the core and the consensus on held-out questions of every domain.
        --single instead fine-tunes one node on --examples examples and shows its answers before and after.
        """
    static let examples = [
        "demo",
        "demo --rounds 3 --out runs/quick",
        "demo --processes --rounds 4 --local-steps 6",
        "demo --single --steps 60",
    ]

    struct Options: Declarations {
        let model = Option.text("--model", "PATH", help: "the core (fetched when it is the default and missing)", default: BenchForward.defaultModel)
        let single = Flag("--single", help: "fine-tune one node instead of running a swarm")
        let processes = Flag("--processes", help: "run the swarm as real 'swarmtune node' processes over TLS instead of in this process")
        let baseline = Flag("--baseline", help: "with --processes: also run each node's process alone for the same steps (local-only baseline)")
        let nodes = Option.integer("--nodes", help: "swarm nodes", default: 4, range: 2...16)
        let rounds = Option.integer("--rounds", help: "gossip rounds", default: 6, range: 1...1000)
        let localSteps = Option.integer("--local-steps", help: "training steps of each node per round", default: 8, range: 1...1000)
        let examples = Option.integer("--examples", help: "training examples (--single)", default: 300, range: 8...100_000)
        let eval = Option.integer("--eval", help: "held-out examples (--single)", default: 40, range: 1...10_000)
        let steps = Option.integer("--steps", help: "training steps (--single)", default: 200, range: 1...1_000_000)
        let lr = Option.number("--lr", help: "learning rate (--single)", default: 1e-3, range: 0...1)
        let out = Option.text("--out", "DIR", help: "where data, adapters and reports go", default: "runs/demo")
        let threads = Option.threads
    }

    let path: String
    let single: Bool
    let processes: Bool
    let baseline: Bool
    let nodes: Int
    let rounds: Int
    let localSteps: Int
    let count: Int
    let evalCount: Int
    let steps: Int
    let lr: Double
    let out: String
    let threads: Int?

    init(_ d: Options, _ p: inout ParsedArguments) throws(CLIError) {
        path = try p.value(d.model)
        single = p.flag(d.single)
        processes = p.flag(d.processes)
        baseline = p.flag(d.baseline)
        nodes = try p.value(d.nodes)
        rounds = try p.value(d.rounds)
        localSteps = try p.value(d.localSteps)
        count = try p.value(d.examples)
        evalCount = try p.value(d.eval)
        steps = try p.value(d.steps)
        lr = try p.value(d.lr)
        out = try p.value(d.out)
        threads = try p.optional(d.threads)
    }

    func run() throws(CLIError) {
        let defaultModel = BenchForward.defaultModel
        if !FileManager.default.fileExists(atPath: path) {
            guard path == defaultModel else { throw .failure("core \(path) not found") }
            Output.err("demo: the core is missing; fetching it with scripts/fetch-model")
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "scripts/fetch-model")
            p.standardOutput = FileHandle.standardError  // stdout carries only the report
            do { try p.run() } catch { throw .failure("cannot run scripts/fetch-model (run the demo from the repository root): \(error)") }
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw .failure("scripts/fetch-model failed (exit \(p.terminationStatus))") }
        }
        do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
            throw .failure("cannot create \(out): \(error.localizedDescription)")
        }
        if !single && processes {
            try Self.processes(path: path, nodes: nodes, rounds: rounds, localSteps: localSteps, out: out, threads: threads,
                               baseline: baseline)
            return
        }
        if !single {
            try Self.swarm(path: path, nodes: nodes, rounds: rounds, localSteps: localSteps, out: out, threads: threads)
            return
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

    /// The swarm demo: SimulateCommand on the real core, then answers before/after and the HTML report.
    static func swarm(path: String, nodes: Int, rounds: Int, localSteps: Int, out: String, threads: Int?) throws(CLIError) {
        var o = SwarmOptions()
        o.nodes = nodes
        o.rounds = rounds
        o.localSteps = localSteps
        Output.out("SwarmTune demo: \(nodes) nodes fine-tune one shared core on private data and agree by gossip\n")
        let (sim, consensus, model, core) = try SimulateCommand.execute(path: path, options: o, topologyName: "ring", lr: 1e-3, rank: 8,
                                                                        baseline: true, precision: .fp32, out: out, threads: threads)
        let pool = ComputePool(threads: threads)
        let before = ExactMatch(model: model, tokenizer: core.tokenizer, lora: nil, contextLength: 256, pool: pool)
        let after = ExactMatch(model: model, tokenizer: core.tokenizer, lora: consensus, contextLength: 256, pool: pool)
        Output.out("\nanswers of the core alone and of the swarm's consensus adapter (held-out questions):")
        for e in sim.eval.prefix(4) {
            do {
                let b = try before.run([e], keepSamples: 1).samples.first?.got ?? ""
                let a = try after.run([e], keepSamples: 1).samples.first?.got ?? ""
                let question = core.tokenizer.decode(e.prompt).components(separatedBy: "<|im_start|>user\n").last?
                    .components(separatedBy: "<|im_end|>").first ?? ""
                Output.out("  Q: \(question)\n     expected: \(e.expected)\n     core:     \(b.replacingOccurrences(of: "\n", with: " ").prefix(90))\n     swarm:    \(a)")
            } catch { throw .failure(error.description) }
        }
        // The inspection report over the node adapters.
        var adapters: [LoRAAdapter] = []
        var names: [String] = []
        for i in 0..<nodes {
            do { adapters.append(try LoRAAdapter.read(directory: "\(out)/node-\(i)/adapter")) } catch { throw .failure(error.description) }
            names.append("node-\(i)")
        }
        do {
            let report = try AdapterInspection.inspect(adapters, names: names)
            let rounds = RunReportFigures.read(directory: out).rounds ?? []
            try Data(InspectHTML.render(report, curves: Array(repeating: [], count: nodes), rounds: rounds).utf8)
                .write(to: URL(fileURLWithPath: out + "/inspect.html"), options: .atomic)
            Output.out(String(format: "\nnodes' final drift from their mean: %@; product gap %.5f",
                              (report.drift ?? []).map { String(format: "%.4f", $0) }.joined(separator: ", "), report.productGap ?? 0))
        } catch let e as ExportError {
            throw .failure(e.description)
        } catch {
            throw .failure("cannot write \(out)/inspect.html: \(error.localizedDescription)")
        }
        Output.out("report: \(out)/report.json, \(out)/inspect.html; node adapters: \(out)/node-*/adapter")
    }
}
