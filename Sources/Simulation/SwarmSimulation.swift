import Consensus
import Foundation
import LM
import SwarmBase
import Tensor
import Tokenizer
import Train
import TrainData

/// Dec-LoRA in one process: N nodes, each with its own private (non-IID) data and trainer, all
/// on one shared core; every round each node takes K local steps, then factors are averaged with
/// Metropolis weights over the topology. No network: this is the algorithm, measured, on the real
/// model. (The node runtime over TLS runs membership only so far.)
public struct SwarmOptions: Sendable {
    public var nodes = 4
    public var topology = Topology.ring
    public var rounds = 6
    public var localSteps = 8
    public var examplesPerNode = 80
    public var evalExamples = 40
    /// Share of a node's examples from its own domain (node i owns domain i mod 4); the rest are
    /// drawn from the others. 1 = fully non-IID, 0.25 = IID over the four domains.
    public var ownDomainShare = 0.85
    public var training = TrainingOptions()
    public var seed: UInt64 = 11
    public init() {}
}

public struct RoundReport: Sendable {
    public var round: Int
    public var meanLoss: Double
    public var consensusBefore: Double
    public var consensusAfter: Double
    public var seconds: Double
}

public final class SwarmSimulation {
    public let options: SwarmOptions
    public let trainers: [Trainer]
    public let data: [[TokenizedExample]]
    /// Each node's private examples as instruction/response pairs (what `data` was rendered from).
    public let records: [[SyntheticTasks.Example]]
    public let domainsOfNode: [[String: Int]]
    public let eval: [TokenizedExample]
    public let weights: MixingWeights

    public init(model: LlamaModel, tokenizer: BPETokenizer, template: ChatTemplate, options: SwarmOptions, pool: ComputePool) throws(AllocationError) {
        self.options = options
        var rng = SeededRandom(seed: options.seed)
        let domains = SyntheticTasks.domains
        var data: [[TokenizedExample]] = []
        var records: [[SyntheticTasks.Example]] = []
        var counts: [[String: Int]] = []
        func render(_ e: SyntheticTasks.Example) -> TokenizedExample {
            template.example(e.record, tokenizer: tokenizer)
        }
        for i in 0..<options.nodes {
            let own = domains[i % domains.count]
            var local: [SyntheticTasks.Example] = []
            var count: [String: Int] = [:]
            for _ in 0..<options.examplesPerNode {
                let domain = rng.nextDouble() < options.ownDomainShare ? own : domains[Int(rng.next() % UInt64(domains.count))]
                count[domain, default: 0] += 1
                local.append(SyntheticTasks.example(domain: domain, rng: &rng))
            }
            records.append(local)
            data.append(local.map(render))
            counts.append(count)
        }
        self.data = data
        self.records = records
        domainsOfNode = counts
        eval = (0..<options.evalExamples).map { render(SyntheticTasks.example(domain: domains[$0 % domains.count], rng: &rng)) }
        // Same initial A on every node (from the swarm seed), B = 0; each node shuffles its own data.
        let initial = LoRAParameters(config: options.training.lora, model: model.config)
        initial.initialize(seed: options.seed, model: model)
        trainers = try (0..<options.nodes).map { i throws(AllocationError) in
            var o = options.training
            o.seed = options.seed &+ UInt64(i + 1)
            o.steps = options.rounds * options.localSteps
            return try Trainer(model: model, options: o, padID: tokenizer.padID ?? tokenizer.eosID ?? 0, pool: pool, lora: initial.copy())
        }
        weights = MixingWeights(neighbours: options.topology.neighbours(count: options.nodes))
    }

    /// Runs one round: K local steps on every node, then one gossip (mixing) step.
    public func round(_ r: Int) throws(LMError) -> RoundReport {
        let start = Date()
        var loss = 0.0
        for (i, t) in trainers.enumerated() {
            for _ in 0..<options.localSteps { loss += try t.trainStep(data[i]).loss }
        }
        var vectors = trainers.map { $0.lora.values.array }
        let before = Mixing.consensusDistance(vectors)
        Mixing.mix(&vectors, weights: weights)
        for (t, v) in zip(trainers, vectors) {
            v.withUnsafeBufferPointer { t.lora.values.pointer.update(from: $0.baseAddress!, count: $0.count) }
        }
        return RoundReport(round: r, meanLoss: loss / Double(trainers.count * options.localSteps), consensusBefore: before,
                           consensusAfter: Mixing.consensusDistance(vectors), seconds: Date().timeIntervalSince(start))
    }

    /// The network average of all nodes' factors (what a deployment would merge to).
    public func consensusAdapter() -> LoRAParameters {
        let mean = Mixing.mean(trainers.map { $0.lora.values.array })
        let p = trainers[0].lora.copy()
        mean.withUnsafeBufferPointer { p.values.pointer.update(from: $0.baseAddress!, count: $0.count) }
        return p
    }
}
