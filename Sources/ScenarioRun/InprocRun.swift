import Exchange
import Foundation
import Gossip
import LM
import Scenario
import SwarmBase
import Tensor
import Train
import TrainData

/// What an inproc run produced: the summary (deterministic for a scenario and seed), its wall-clock
/// timing, and the adapters at the end.
public struct InprocResult {
    public var summary: RunSummary
    public var timing: RunTiming
    /// Each node's adapter at the end, by index (killed nodes: as they died; nodes that never
    /// joined are absent).
    public var nodeAdapters: [Int: LoRAParameters]
    /// The mean of the live nodes' exchanged factors (the consensus adapter).
    public var consensus: LoRAParameters
    /// With `InprocOptions.keepTrace`: node → round → its exchanged vector after that round's mix.
    public var trace: [Int: [Int: [Float]]]
    /// With `keepTrace`: node → round → the neighbours it mixed with.
    public var mixedWith: [Int: [Int: [Int]]]
    /// Each simulated node's state database, by index (`RunDirectory` writes them to
    /// nodes/node-I/state); empty for the process backends, whose nodes wrote their own.
    public var nodeStates: [Int: InprocNodeState] = [:]

    public init(summary: RunSummary, timing: RunTiming, nodeAdapters: [Int: LoRAParameters], consensus: LoRAParameters,
                trace: [Int: [Int: [Float]]] = [:], mixedWith: [Int: [Int: [Int]]] = [:]) {
        self.summary = summary
        self.timing = timing
        self.nodeAdapters = nodeAdapters
        self.consensus = consensus
        self.trace = trace
        self.mixedWith = mixedWith
    }
}

/// The inproc backend (issue 11): a scenario run in this process, every node on one memory-mapped
/// core, in virtual time (docs/SCENARIOS.md, "The inproc backend").
public enum InprocBackend {
    /// Loads the scenario's core and runs it. `coreOverride` replaces the scenario's `core` (tests).
    public static func run(_ scenario: Scenario, file: String, options: InprocOptions = InprocOptions(),
                           progress: @escaping (InprocProgress) -> Void = { _ in }) throws(InprocError) -> InprocResult {
        let model: LlamaModel
        let core: CoreTokenizer
        guard FileManager.default.fileExists(atPath: scenario.core) else {
            throw .core(path: scenario.core, reason: "no such file")
        }
        do {
            model = try LlamaModel(path: scenario.core)
            core = try CoreTokenizer(metadata: model.file.metadata, path: scenario.core)
        } catch {
            throw .core(path: scenario.core, reason: error.description)
        }
        return try run(scenario, file: file, model: model, core: core, options: options, progress: progress)
    }

    /// Runs the scenario on a loaded core.
    public static func run(_ scenario: Scenario, file: String, model: LlamaModel, core: CoreTokenizer,
                           options: InprocOptions = InprocOptions(),
                           progress: @escaping (InprocProgress) -> Void = { _ in }) throws(InprocError) -> InprocResult {
        let started = Date()
        guard let template = core.chatTemplate else {
            throw .core(path: scenario.core, reason: core.chatTemplateError ?? "the core carries no chat template")
        }
        let data: ScenarioData
        do { data = try scenario.buildData() } catch { throw .data(error) }
        let threads = options.threads ?? InprocSwarm.cpus
        let pool = ComputePool(threads: threads)
        let evaluator = TestSetEvaluator(model: model, tokenizer: core.tokenizer, template: template, test: data.test, lanes: pool.threads)
        let setup = try Setup(scenario: scenario, file: file, model: model, template: template, tokenizer: core.tokenizer, data: data)

        let nodes = try (0..<scenario.totalNodes).map { i throws(InprocError) in
            InprocNode(index: i, id: .simulated(i), trainer: try setup.trainer(i, steps: setup.swarmSteps),
                       data: setup.examples[i], state: i < scenario.nodes ? .running : .notStarted, scenario: scenario)
        }
        let exchanged = ExchangedFactors(layout: setup.initial, mode: scenario.gossip.mode)
        if scenario.gossip.mode == .frozenA { for n in nodes { n.trainer.frozenRanges = exchanged.frozenRanges } }
        var lastEval: (vector: [Float], eval: RunSummary.Eval)?
        var roundWall: [Double] = []
        var lastWall = Date()
        let swarm = InprocSwarm(scenario: scenario, options: options, nodes: nodes, exchanged: exchanged, layout: setup.initial,
                                evaluate: { round, sums throws(InprocError) in
            guard let done = try evaluator.evaluate(round: round, sums: sums, setup: setup, exchanged: exchanged,
                                                    progress: { _ in }) else { return nil }
            lastEval = (done.mean, done.eval)
            return done.eval
        }, progress: { p in
            roundWall.append(Date().timeIntervalSince(lastWall))
            lastWall = Date()
            progress(p)
        })
        try swarm.run()

        let coreHash = model.computeCoreHash()
        var summary = setup.summary(backend: "inproc", coreHash: coreHash.hex)
        summary.rounds = swarm.rounds.keys.sorted().map { swarm.rounds[$0]! }
        summary.timeline = swarm.timeline
        let everyone = (0..<scenario.totalNodes).map(NodeID.simulated)
        summary.edges = everyone.map { id in swarm.settings.neighbours.neighbours(of: id, alive: everyone).map(\.simulatedIndex) }
        // The consensus at the end: the mean over the nodes that did not die.
        let survivors = nodes.filter { $0.state == .running || $0.state == .finished }
        let vectors = survivors.map { exchanged.vector(of: $0.trainer.lora) }
        let mean = swarm.ledger.mean(vectors) ?? exchanged.vector(of: setup.initial)
        let consensus = setup.adapter(exchanged, mean)
        summary.final = try Baselines.finalFigures(setup, distance: swarm.ledger.distance(vectors), consensus: consensus, lastEval: lastEval, mean: mean,
                                                   evaluator: evaluator, pool: pool, workers: threads, progress: progress)
        var adapters: [Int: LoRAParameters] = [:]
        for n in nodes where n.state != .notStarted { adapters[n.index] = n.trainer.lora }
        let timing = RunTiming(seconds: Date().timeIntervalSince(started), secondsPerRound: roundWall,
                               peakRSSBytes: Self.peakRSS(), cpu: MachineInfo.cpuDescription(isa: pool.isaName), threads: threads)
        var result = InprocResult(summary: summary, timing: timing, nodeAdapters: adapters, consensus: consensus,
                                  trace: swarm.trace, mixedWith: swarm.mixedWith)
        for n in nodes where n.state != .notStarted {
            result.nodeStates[n.index] = InprocNodeState(node: n, setup: setup, exchanged: exchanged, coreHash: coreHash)
        }
        return result
    }

    /// The process's peak resident set (getrusage), in bytes.
    package static func peakRSS() -> Int? {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return nil }
        return usage.ru_maxrss * 1024
    }
}

extension RoundLedger {
    /// The consensus of the vectors (nil for none): their mean, or in `product` mode the
    /// factorisation of their mean update (`ExchangedFactors.consensus`).
    package func mean(_ vectors: [[Float]]) -> [Float]? {
        if let product { return product.exchanged.consensus(of: vectors, parameters: product.layout) }
        guard let first = vectors.first else { return nil }
        var sum = [Double](repeating: 0, count: first.count)
        for v in vectors { for i in v.indices { sum[i] += Double(v[i]) } }
        return sum.map { Float($0 / Double(vectors.count)) }
    }

    /// (1/n) Σ‖θ_i − θ̄‖² of equal-length vectors (nil for none); in `product` mode between the
    /// updates B·A (`ExchangedFactors.consensusDistance`).
    package func distance(_ vectors: [[Float]]) -> Double? {
        if let product { return product.exchanged.consensusDistance(of: vectors, parameters: product.layout) }
        guard let mean = mean(vectors) else { return nil }
        var total = 0.0
        for v in vectors { for i in v.indices { let d = Double(v[i]) - Double(mean[i]); total += d * d } }
        return total / Double(vectors.count)
    }
}
