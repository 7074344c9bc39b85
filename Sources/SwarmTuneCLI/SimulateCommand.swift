import Adapters
import Consensus
import Scenario
import ScenarioRun
import Foundation
import Gossip
import LM
import Simulation
import Tensor
import Train
import TrainData

/// `swarmtune simulate`: a scenario file on the inproc backend (virtual time, virtual network),
/// or, without one, the older Dec-LoRA swarm in one process configured by options.
struct SimulateCommand: Command {
    static let name = "simulate"
    static let summary = "run a scenario file in one process (inproc backend), or a quick Dec-LoRA swarm from options"
    static let discussion = """
        With SCENARIO (a scenario file, docs/SCENARIOS.md): runs it on the inproc backend. Every node
        lives in this process on one memory-mapped core with its own LoRA, optimizer and data; each
        node's gossip round machine (the node runtime's own) runs in virtual time over a virtual
        network with the scenario's latency, jitter, loss, bandwidth and partitions, and the
        scenario's events (kill, restart from the node's last checkpoint, pause, partition, heal,
        join, hostile) happen at their round or virtual second. A local step costs --step-ms of
        virtual time; membership views change --detection-ms after an event. Nodes whose steps end
        at the same virtual instant train in parallel (one thread each), so the run uses every core
        and is still the same for a seed. Evaluates exact match on the global test set at the
        scenario's eval rounds and at the end, against the baselines it asks for (each node alone
        for the same steps; one adapter on the pooled data for the same steps, each over all nodes'
        batches). --without-faults runs the same swarm without its faults (runs/NAME-without-faults),
        --no-baselines skips the baselines, --mode MODE averages by another mode (runs/NAME-MODE). Writes
        OUT/summary.json (byte-identical for the same scenario and seed), OUT/timing.json (wall
        time), each node's adapter (OUT/nodes/node-I/adapter) and the consensus adapter
        (OUT/consensus/adapter); OUT defaults to runs/NAME. --backend process runs every node as a
        real 'swarmtune node' process over TLS on loopback (network conditions by each node's link
        emulator); --backend netns (root only) puts each of them in its own network namespace with
        its own address, joined by a bridge in a namespace the run creates and removes
        (docs/SCENARIOS.md); report.html is written by the process backends, and 'swarmtune report
        OUT/summary.json' renders any run.

        Without SCENARIO: the older quick swarm from options (--nodes, --rounds, ...): N nodes with
        non-IID data (node i draws --own-domain of its examples from domain i mod 4: dates, units,
        sort, extract), --local-steps steps each per round, then factors averaged with Metropolis
        weights over the topology, synchronously, with no network model. Reports per round the mean
        loss and the consensus distance before and after mixing, then exact match of the consensus
        adapter on held-out examples. Writes OUT/node-I/adapter and OUT/report.json (OUT defaults
        to runs/swarm). Its held-out questions are drawn independently of the training data and may
        repeat training instructions; scenario files keep the test set disjoint.
        """
    static let examples = [
        "simulate scenarios/quickstart.json",
        "simulate scenarios/partition-heal-8.json --out runs/ph8 --step-ms 500",
        "simulate scenarios/churn-16.json --without-faults --no-baselines",
        "simulate --nodes 4 --rounds 6 --baseline",
        "simulate --nodes 8 --topology regular-4 --rounds 10 --out runs/swarm8",
    ]

    struct Options: Declarations {
        let scenario = Positional("SCENARIO", help: "a scenario file (docs/SCENARIOS.md); without it, the options below configure a quick swarm",
                                  required: false)
        let backend = Option.custom("--backend", "inproc|process|netns", help: "where a scenario runs: every node in this process in virtual time (inproc), real node processes over TLS on loopback (process), or each in its own network namespace (netns, root only)",
                                    default: "inproc", allowed: "inproc, process or netns") { text in
            switch text {
            case "inproc", "process", "netns": return .success(text)
            default: return .failure(ValueProblem("must be inproc, process or netns, got '\(text)'"))
            }
        }
        let withoutFaults = Flag("--without-faults", help: "with SCENARIO: drop its kills, restarts, pauses, partitions, heals and hostile turns (joins stay): the same swarm on the same data without faults, to read a faulty run against; runs/NAME-without-faults by default")
        let mode = Option.choice("--mode", of: AveragingMode.self, help: "with SCENARIO: average by this mode instead of the file's gossip.mode (factors, frozen-a, product): the modes compared on the same data; runs/NAME-MODE by default")
        let noBaselines = Flag("--no-baselines", help: "with SCENARIO: skip the local-only and centralized baselines (each as long as the swarm's training; a second run of the same data repeats them)")
        let stepMilliseconds = Option.number("--step-ms", help: "with SCENARIO: virtual time of one optimizer step of one node",
                                             default: 1000, range: 0.001...3_600_000)
        let detectionMilliseconds = Option.number("--detection-ms", help: "with SCENARIO: virtual delay until membership views show a change",
                                                  default: 2000, range: 0...3_600_000)
        let model = Option.text("--model", "PATH", help: "the core (a GGUF file)", default: BenchForward.defaultModel)
        let nodes = Option.integer("--nodes", help: "simulated nodes", default: 4, range: 1...64)
        let topology = Option.custom("--topology", "ring|full|regular-K", help: "who averages with whom",
                                     default: "ring", allowed: "ring, full or regular-K (K even)") { text in
            Topology(name: text) == nil ? .failure(ValueProblem("must be ring, full or regular-K (K even), got '\(text)'")) : .success(text)
        }
        let rounds = Option.integer("--rounds", help: "gossip rounds", default: 6, range: 1...100_000)
        let localSteps = Option.integer("--local-steps", help: "training steps of each node per round", default: 8, range: 1...100_000)
        let examplesPerNode = Option.integer("--examples-per-node", help: "private training examples of each node", default: 80, range: 4...1_000_000)
        let ownDomain = Option.number("--own-domain", help: "share of a node's examples from its own domain", default: 0.85, range: 0...1)
        let eval = Option.integer("--eval", help: "held-out examples (all domains)", default: 40, range: 4...100_000)
        let lr = Option.number("--lr", help: "learning rate", default: 1e-3, range: 0...1)
        let rank = Option.integer("--rank", help: "LoRA rank", default: 8, range: 1...256)
        let baseline = Flag("--baseline", help: "also train node 0 alone (no gossip) for the same steps")
        let precision = Option.precision
        let out = Option.text("--out", "DIR", help: "the run directory (default: runs/NAME with SCENARIO, else runs/swarm)")
        let threads = Option.threads
    }

    /// The options that configure the quick swarm only (refused with SCENARIO: the file says it).
    static let quickSwarmOnly = ["--model", "--nodes", "--topology", "--rounds", "--local-steps", "--examples-per-node",
                                 "--own-domain", "--eval", "--lr", "--rank", "--baseline", "--precision"]

    let scenarioFile: String?
    let backend: String
    let withoutFaults: Bool
    let noBaselines: Bool
    let mode: AveragingMode?
    let inproc: InprocOptions
    let model: String
    let options: SwarmOptions
    let topologyName: String
    let lr: Double
    let rank: Int
    let baseline: Bool
    let precision: PrecisionChoice
    let out: String
    let outGiven: String?
    let threads: Int?

    init(_ d: Options, _ p: inout ParsedArguments) throws(CLIError) {
        scenarioFile = try p.positional(d.scenario)
        backend = try p.value(d.backend)
        withoutFaults = p.flag(d.withoutFaults)
        noBaselines = p.flag(d.noBaselines)
        mode = try p.optional(d.mode)
        var inproc = InprocOptions()
        inproc.stepMilliseconds = try p.value(d.stepMilliseconds)
        inproc.detectionMilliseconds = try p.value(d.detectionMilliseconds)
        model = try p.value(d.model)
        var o = SwarmOptions()
        o.nodes = try p.value(d.nodes)
        topologyName = try p.value(d.topology)
        o.topology = Topology(name: topologyName)!
        o.rounds = try p.value(d.rounds)
        o.localSteps = try p.value(d.localSteps)
        o.examplesPerNode = try p.value(d.examplesPerNode)
        o.ownDomainShare = try p.value(d.ownDomain)
        o.evalExamples = try p.value(d.eval)
        options = o
        lr = try p.value(d.lr)
        rank = try p.value(d.rank)
        baseline = p.flag(d.baseline)
        precision = try p.value(d.precision)
        let given = try p.optional(d.out)
        out = given ?? "runs/swarm"
        outGiven = given
        threads = try p.optional(d.threads)
        inproc.threads = threads
        self.inproc = inproc
        let names = p.givenNames
        if scenarioFile != nil, let stray = Self.quickSwarmOnly.first(where: names.contains) {
            throw .usage(command: Self.name, message: "\(stray) configures the quick swarm only; with SCENARIO the scenario file says it")
        }
        if scenarioFile == nil, let stray = ["--backend", "--step-ms", "--detection-ms", "--without-faults", "--no-baselines", "--mode"].first(where: names.contains) {
            throw .usage(command: Self.name, message: "\(stray) applies to a scenario run only: give a SCENARIO file")
        }
        if backend != "inproc", let stray = ["--step-ms", "--detection-ms"].first(where: names.contains) {
            throw .usage(command: Self.name, message: "\(stray) sets the inproc backend's virtual time; the \(backend) backend runs in real time")
        }
    }

    func run() throws(CLIError) {
        if let scenarioFile {
            let (withoutFaults, noBaselines, mode) = (self.withoutFaults, self.noBaselines, self.mode)
            let variant: @Sendable (Scenario) -> Scenario = { s in
                var t = withoutFaults ? s.withoutFaults() : s
                if let mode { t = t.averaging(mode) }
                return noBaselines ? t.withoutBaselines() : t
            }
            if backend != "inproc" {
                try Self.runScenarioProcesses(file: scenarioFile, out: outGiven, threads: threads, namespaces: backend == "netns",
                                              variant: variant)
            } else {
                try Self.runScenario(file: scenarioFile, out: outGiven, options: inproc, variant: variant)
            }
            return
        }
        _ = try Self.execute(path: model, options: options, topologyName: topologyName, lr: lr, rank: rank, baseline: baseline,
                             precision: precision, out: out, threads: threads)
    }

    /// simulate's report.json.
    struct Report: Codable {
        struct ExactMatch: Codable {
            var exactMatch: Double
            var perDomain: [String: Double]
        }
        struct Results: Codable {
            var core: ExactMatch
            var consensus: ExactMatch
            var node0Alone: ExactMatch?
        }
        var core: String
        var coreHash: String
        var nodes: Int
        var topology: String
        var localSteps: Int
        var rounds: [RoundFigures]
        var results: Results
        var privateData: [[String: Int]]
    }

    /// Runs the simulation and writes OUT; returns the simulation and the consensus adapter.
    static func execute(path: String, options: SwarmOptions, topologyName: String, lr: Double, rank: Int, baseline: Bool,
                        precision choice: PrecisionChoice, out: String, threads: Int?) throws(CLIError)
        -> (sim: SwarmSimulation, consensus: LoRAParameters, model: LlamaModel, core: CoreTokenizer) {
        var o = options
        let (model, core) = try CoreLoading.core(path)
        guard let template = core.chatTemplate else { throw .failure("\(path): \(core.chatTemplateError ?? "no chat template")") }
        o.training.lora = LoRAConfig(rank: rank, alpha: Float(2 * rank), targets: [.q, .k, .v, .o])
        o.training.learningRate = Float(lr)
        o.training.warmupSteps = max(1, o.rounds * o.localSteps / 20)
        o.training.batch = 4
        o.training.seqLen = 96
        let note: String
        (o.training.precision, note) = choice.resolve()
        Output.err(note)
        let pool = ComputePool(threads: threads)
        let sim = try CLIError.allocating("--nodes \(o.nodes) trainers") { () throws(AllocationError) in
            try SwarmSimulation(model: model, tokenizer: core.tokenizer, template: template, options: o, pool: pool)
        }
        Output.err("swarm: \(o.nodes) nodes, \(topologyName) topology, \(o.rounds) rounds x \(o.localSteps) local steps; core \(path)")
        for (i, c) in sim.domainsOfNode.enumerated() {
            Output.err("  node \(i) private data: " + c.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        Output.out("round   mean loss   consensus before -> after mixing   seconds")
        var rounds: [RoundFigures] = []
        for r in 1...o.rounds {
            let rep: RoundReport
            do { rep = try sim.round(r) } catch { throw .failure(error.description) }
            Output.out(String(format: "%5d   %9.4f   %16.5f -> %-14.5f   %6.1f", r, rep.meanLoss, rep.consensusBefore, rep.consensusAfter, rep.seconds))
            rounds.append(RoundFigures(round: r, meanLoss: rep.meanLoss, consensusBefore: rep.consensusBefore,
                                       consensusAfter: rep.consensusAfter, seconds: rep.seconds))
        }

        func exactMatch(_ lora: LoRAParameters?, label: String) throws(CLIError) -> Report.ExactMatch {
            let matcher = try CLIError.allocating("exact match of \(label)") { () throws(AllocationError) in
                try ExactMatch(model: model, tokenizer: core.tokenizer, lora: lora, contextLength: 256, pool: pool)
            }
            var perDomain: [String: Double] = [:]
            var total = 0
            for (k, domain) in SyntheticTasks.domains.enumerated() {
                let subset = sim.eval.enumerated().filter { $0.offset % SyntheticTasks.domains.count == k }.map(\.element)
                do {
                    let em = try matcher.run(subset)
                    perDomain[domain] = em.rate
                    total += em.correct
                } catch { throw .failure(error.description) }
            }
            let rate = Double(total) / Double(sim.eval.count)
            Output.out(label.padding(toLength: 26, withPad: " ", startingAt: 0) + String(format: " exact match %5.1f%%   ", 100 * rate)
                       + SyntheticTasks.domains.map { String(format: "%@ %.0f%%", $0, 100 * (perDomain[$0] ?? 0)) }.joined(separator: "  "))
            return Report.ExactMatch(exactMatch: rate, perDomain: perDomain)
        }
        Output.out("")
        let consensus = sim.consensusAdapter()
        var results = Report.Results(core: try exactMatch(nil, label: "core alone"),
                                     consensus: try exactMatch(consensus, label: "swarm consensus adapter"))
        if baseline {
            var bo = o.training
            bo.seed = o.seed &+ 1
            bo.steps = o.rounds * o.localSteps
            let initial = LoRAParameters(config: bo.lora, model: model.config)
            initial.initialize(seed: o.seed, model: model)
            let alone = try CLIError.allocating("--baseline trainer") { () throws(AllocationError) in
                try Trainer(model: model, options: bo, padID: core.tokenizer.padID ?? 0, pool: pool, lora: initial)
            }
            for _ in 0..<bo.steps { do { _ = try alone.trainStep(sim.data[0]) } catch { throw .failure(error.description) } }
            results.node0Alone = try exactMatch(alone.lora, label: "node 0 alone (no gossip)")
        }

        let hash = model.computeCoreHash().hex
        var records: [String] = []  // what each node trained on, kept beside its adapter (never sent)
        for node in sim.records {
            var jsonl = ""
            for e in node { jsonl += try Output.jsonLine(InstructionRecord(instruction: e.instruction, output: e.output)) + "\n" }
            records.append(jsonl)
        }
        let report = try Output.json(Report(core: path, coreHash: hash, nodes: o.nodes, topology: topologyName,
                                            localSteps: o.localSteps, rounds: rounds, results: results,
                                            privateData: sim.domainsOfNode))
        do {
            for (i, t) in sim.trainers.enumerated() {
                let dir = "\(out)/node-\(i)"
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try Data(records[i].utf8).write(to: URL(fileURLWithPath: dir + "/private-data.jsonl"), options: .atomic)
                try AdapterConversion.adapter(from: t.lora, provenance: AdapterProvenance(
                    coreHash: hash, swarmtuneVersion: SwarmTuneCommand.version, seed: o.seed, extra: ["node": String(i)]))
                    .write(to: dir + "/adapter", replacingExisting: true)
            }
            try Data(report.utf8).write(to: URL(fileURLWithPath: out + "/report.json"), options: .atomic)
        } catch let e as LoRAAdapterError {
            throw .failure(e.description)
        } catch {
            throw .failure("cannot write under \(out): \(error.localizedDescription)")
        }
        Output.out("\nnode adapters and report.json in \(out); compare them with: swarmtune inspect \(out)")
        return (sim, consensus, model, core)
    }
}
