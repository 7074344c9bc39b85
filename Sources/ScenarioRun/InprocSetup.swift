import Exchange
import LM
import Scenario
import Tensor
import Train
import Tokenizer
import TrainData

/// What every trainer of a run shares: the training options from the scenario, the initial adapter
/// (A from the scenario's seed, B = 0, the same on every node), each node's tokenized data.
package struct Setup {
    package let scenario: Scenario
    /// The scenario file, as errors name it.
    package let file: String
    package let model: LlamaModel
    package let data: ScenarioData
    package let examples: [[TokenizedExample]]
    package let options: TrainingOptions
    package let initial: LoRAParameters
    package let padID: Int32

    /// Optimizer steps of each node (and of each local-only baseline): rounds × local steps.
    package var swarmSteps: Int { scenario.training.rounds * scenario.gossip.localSteps }

    /// Each node's records become training examples by the node's own rule (`PreparedExamples`:
    /// truncated to the sequence length, an example left with no trained token dropped), so a
    /// backend trains each node on exactly what a `swarmtune node` reading the same records would.
    package init(scenario: Scenario, file: String, model: LlamaModel, template: ChatTemplate, tokenizer: BPETokenizer,
                 data: ScenarioData) throws(InprocError) {
        self.scenario = scenario
        self.file = file
        self.model = model
        self.data = data
        var examples: [[TokenizedExample]] = []
        for (i, node) in data.nodes.enumerated() {
            let records = node.enumerated().map { DatasetExample(line: $0.offset + 1, record: $0.element.record) }
            let prepared: PreparedExamples
            do {
                prepared = try PreparedExamples.prepare(records, maxSequenceLength: scenario.training.seqLen,
                                                        segments: template.segments(for:), encode: { tokenizer.encode($0) })
            } catch {
                throw .unsupported(file: file, field: "training.seq-len", reason: error.description)
            }
            if prepared.examples.isEmpty && !records.isEmpty {
                throw .unsupported(file: file, field: "training.seq-len",
                                   reason: "\(scenario.training.seqLen) tokens leaves node \(i) no example with a trained token (its \(records.count) examples are longer); raise it")
            }
            examples.append(prepared.examples)
        }
        self.examples = examples
        var o = TrainingOptions()
        o.lora = LoRAConfig(rank: scenario.lora.rank, alpha: Float(scenario.lora.alpha),
                            targets: scenario.lora.targets.compactMap(LoRATarget.init(rawValue:)))
        o.learningRate = Float(scenario.training.learningRate)
        o.batch = scenario.training.batch
        o.seqLen = scenario.training.seqLen
        o.threads = 1
        options = o
        initial = LoRAParameters(config: o.lora, model: model.config)
        initial.initialize(seed: scenario.seed, model: model)
        padID = Int32(tokenizer.padID ?? tokenizer.eosID ?? 0)
    }

    /// Node `i`'s trainer (its own data order and dropout stream) for `steps` steps, on one thread.
    package func trainer(_ i: Int, steps: Int, pool: ComputePool = ComputePool(threads: 1)) throws(InprocError) -> Trainer {
        var o = options
        o.seed = scenario.seed &+ UInt64(i + 1)
        o.schedule(steps: steps)
        do { return try Trainer(model: model, options: o, padID: padID, pool: pool, lora: initial.copy()) } catch {
            throw .memory(what: "\(file): node \(i)'s trainer (training.batch \(o.batch) × training.seq-len \(o.seqLen))", error)
        }
    }

    /// The initial adapter with `vector` as its exchanged values.
    package func adapter(_ exchanged: ExchangedFactors, _ vector: [Float]) -> LoRAParameters {
        let p = initial.copy()
        exchanged.write(vector, into: p)
        return p
    }

    /// The summary's fixed part: the scenario, its data and the core.
    package func summary(backend: String, coreHash: String) -> RunSummary {
        let domains: [String]
        if case let .synthetic(names) = scenario.data.source { domains = names } else {
            domains = Set(data.domainCounts.flatMap(\.keys)).union(data.testDomainCounts.keys).sorted()
        }
        let topology: String
        switch scenario.topology {
        case .rule(.ring): topology = "ring"
        case .rule(.full): topology = "full"
        case let .rule(.regular(k)): topology = "regular-\(k)"
        case .edges: topology = "explicit"
        }
        return RunSummary(scenario: scenario.name, comment: scenario.comment, backend: backend, seed: scenario.seed,
                          core: scenario.core, coreHash: coreHash, nodes: scenario.nodes, topology: topology,
                          mode: scenario.gossip.mode.name, localSteps: scenario.gossip.localSteps, domains: domains,
                          nodeData: data.domainCounts.enumerated().map { RunSummary.NodeData(node: $0.offset, examples: data.nodes[$0.offset].count, domains: $0.element) },
                          testSet: data.testDomainCounts)
    }
}

/// The scenario's baselines at the swarm's token budget: each node alone for the same steps, and
/// one adapter on the pooled data with the same updates over the swarm's batch of every step.
package enum Baselines {
    /// The run's final figures, the same for every backend: the consensus adapter (the mean of the
    /// finishers' exchanged vectors; its figure reused when the last eval round scored that same
    /// mean), the core alone, and the baselines the scenario asks for.
    package static func finalFigures(_ setup: Setup, distance: Double?, consensus: LoRAParameters,
                                     lastEval: (vector: [Float], eval: RunSummary.Eval)?, mean: [Float],
                                     evaluator: TestSetEvaluator, pool: ComputePool, workers: Int,
                                     progress: (InprocProgress) -> Void) throws(InprocError) -> RunSummary.Final {
        var final = RunSummary.Final()
        final.consensusDistance = distance
        if let lastEval, lastEval.vector == mean {
            final.consensus = lastEval.eval.consensus
            final.consensusByDomain = lastEval.eval.consensusByDomain
        } else {
            progress(InprocProgress(phase: "eval", done: 0, total: 2, virtualSeconds: 0, detail: "the consensus adapter"))
            let r = try evaluator.run(consensus, what: "the final consensus adapter")
            (final.consensus, final.consensusByDomain) = (r.rate, r.byDomain)
        }
        progress(InprocProgress(phase: "eval", done: 1, total: 2, virtualSeconds: 0, detail: "the core alone"))
        final.core = try evaluator.run(nil, what: "the core alone").rate
        if setup.scenario.baselines.localOnly {
            try localOnly(setup, evaluator: evaluator, workers: workers, into: &final, progress: progress)
        }
        if setup.scenario.baselines.centralized {
            try centralized(setup, evaluator: evaluator, pool: pool, into: &final, progress: progress)
        }
        return final
    }

    package static func localOnly(_ setup: Setup, evaluator: TestSetEvaluator, workers: Int, into final: inout RunSummary.Final,
                          progress: (InprocProgress) -> Void) throws(InprocError) {
        let nodes = setup.scenario.totalNodes
        progress(InprocProgress(phase: "local-only", done: 0, total: nodes, virtualSeconds: 0, detail: "each node alone"))
        let trainers = try (0..<nodes).map { i throws(InprocError) in try setup.trainer(i, steps: setup.swarmSteps) }
        let jobs = trainers.enumerated().map { LocalSteps.Job(trainer: $0.element, data: setup.examples[$0.offset], steps: setup.swarmSteps) }
        for (i, result) in LocalSteps.run(jobs, workers: workers).enumerated() {
            if case .failure(let e) = result { throw .compute(what: "local-only baseline of node \(i)", reason: e.description) }
        }
        var rates: [Int: Double] = [:]
        var byDomain: [String: Double] = [:]
        for (i, t) in trainers.enumerated() {
            progress(InprocProgress(phase: "local-only", done: i, total: nodes, virtualSeconds: 0, detail: "exact match of node \(i) alone"))
            let r = try evaluator.run(t.lora, what: "node \(i) alone")
            rates[i] = r.rate
            for (d, x) in r.byDomain { byDomain[d, default: 0] += x / Double(nodes) }
        }
        final.localOnly = rates
        final.localOnlyMean = rates.values.reduce(0, +) / Double(max(1, nodes))
        final.localOnlyByDomain = byDomain
    }

    /// The centralized baseline's trainer: the swarm's centralized counterpart (as in decentralized
    /// SGD's analyses), one adapter on all nodes' data pooled, taking as many optimizer steps as
    /// each node (rounds × local steps) with one step over as many examples as all nodes' steps of
    /// that round together (nodes × batch, by gradient accumulation), at the same learning rate and
    /// schedule. The same tokens as the swarm and the same number of updates, so the difference
    /// measures what gossip loses against exact averaging of every step, not a longer optimization.
    /// A step's micro-batches run on `lanes` one-thread sessions at once (`Trainer(lanes:)`).
    package static func centralizedTrainer(_ setup: Setup, lanes: Int) throws(InprocError) -> (trainer: Trainer, steps: Int) {
        var o = setup.options
        o.seed = setup.scenario.seed
        o.gradientAccumulation = setup.scenario.totalNodes * o.gradientAccumulation
        o.schedule(steps: setup.swarmSteps)
        do {
            let trainer = try Trainer(model: setup.model, options: o, padID: setup.padID, pool: ComputePool(threads: 1),
                                      lora: setup.initial.copy(), lanes: lanes)
            return (trainer, setup.swarmSteps)
        } catch {
            throw .memory(what: "\(setup.file): the centralized baseline's trainer (\(lanes) lanes of training.batch \(o.batch) × training.seq-len \(o.seqLen))", error)
        }
    }

    package static func centralized(_ setup: Setup, evaluator: TestSetEvaluator, pool: ComputePool, into final: inout RunSummary.Final,
                            progress: (InprocProgress) -> Void) throws(InprocError) {
        let (trainer, steps) = try centralizedTrainer(setup, lanes: pool.threads)
        let pooled = setup.examples.flatMap { $0 }
        for s in 0..<steps {
            if s % max(1, steps / 20) == 0 {
                progress(InprocProgress(phase: "centralized", done: s, total: steps, virtualSeconds: 0, detail: "pooled data"))
            }
            do { _ = try trainer.trainStep(pooled) } catch {
                throw .compute(what: "centralized baseline, step \(s + 1)", reason: error.description)
            }
        }
        let r = try evaluator.run(trainer.lora, what: "the centralized adapter")
        final.centralized = r.rate
        final.centralizedByDomain = r.byDomain
    }
}
