import Exchange
import LM
import Scenario
import Tensor
import Train
import Tokenizer
import TrainData

/// What every trainer of a run shares: the training options from the scenario, the initial adapter
/// (A from the scenario's seed, B = 0, the same on every node), each node's tokenized data.
struct Setup {
    let scenario: Scenario
    let model: LlamaModel
    let data: ScenarioData
    let examples: [[TokenizedExample]]
    let options: TrainingOptions
    let initial: LoRAParameters
    let padID: Int32

    /// Optimizer steps of each node (and of each local-only baseline): rounds × local steps.
    var swarmSteps: Int { scenario.training.rounds * scenario.gossip.localSteps }

    init(scenario: Scenario, model: LlamaModel, template: ChatTemplate, tokenizer: BPETokenizer, data: ScenarioData) {
        self.scenario = scenario
        self.model = model
        self.data = data
        examples = data.nodes.map { node in node.map { template.example($0.record, tokenizer: tokenizer) } }
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
    func trainer(_ i: Int, steps: Int, pool: ComputePool = ComputePool(threads: 1)) -> Trainer {
        var o = options
        o.seed = scenario.seed &+ UInt64(i + 1)
        o.steps = steps
        o.warmupSteps = max(1, steps / 20)
        return Trainer(model: model, options: o, padID: padID, pool: pool, lora: initial.copy())
    }

    /// The initial adapter with `vector` as its exchanged values.
    func adapter(_ exchanged: ExchangedFactors, _ vector: [Float]) -> LoRAParameters {
        let p = initial.copy()
        exchanged.write(vector, into: p)
        return p
    }

    /// The summary's fixed part: the scenario, its data and the core.
    func summary(backend: String, coreHash: String) -> RunSummary {
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

/// The scenario's baselines at the swarm's budget: each node alone for the same steps, and one
/// adapter on the pooled data for the same total steps.
enum Baselines {
    static func localOnly(_ setup: Setup, evaluator: TestSetEvaluator, workers: Int, into final: inout RunSummary.Final,
                          progress: (InprocProgress) -> Void) throws(InprocError) {
        let nodes = setup.scenario.totalNodes
        progress(InprocProgress(phase: "local-only", done: 0, total: nodes, virtualSeconds: 0, detail: "each node alone"))
        let trainers = (0..<nodes).map { setup.trainer($0, steps: setup.swarmSteps) }
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

    static func centralized(_ setup: Setup, evaluator: TestSetEvaluator, pool: ComputePool, into final: inout RunSummary.Final,
                            progress: (InprocProgress) -> Void) throws(InprocError) {
        let steps = setup.swarmSteps * setup.scenario.totalNodes
        let pooled = setup.examples.flatMap { $0 }
        let trainer = setup.trainer(-1, steps: steps, pool: pool)
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
