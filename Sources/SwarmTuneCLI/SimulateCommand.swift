import Adapters
import Consensus
import Foundation
import LM
import Simulation
import Tensor
import Train

/// `swarmtune simulate`: a Dec-LoRA swarm in one process on the real core.
enum SimulateCommand {
    static let help = """
        USAGE: swarmtune simulate [--model PATH] [--nodes 4] [--topology ring|full|regular-K] [--rounds 6]
                                  [--local-steps 8] [--examples-per-node 80] [--own-domain 0.85] [--eval 40]
                                  [--lr 1e-3] [--rank 8] [--baseline] [--precision fp32|bf16] [--out runs/swarm]

        Runs Dec-LoRA with N simulated nodes in this process, all on one shared core: each node has
        private non-IID data (node i draws --own-domain of its examples from domain i mod 4: dates,
        units, sort, extract), every round takes --local-steps steps locally, then the nodes average
        their factors with Metropolis weights over the topology (only factors move). Reports per
        round the mean training loss and the consensus distance before and after mixing, then the
        exact match of the consensus adapter on held-out examples of all domains, per domain;
        --baseline also trains node 0 alone (no gossip) for the same steps. Writes each node's
        adapter to OUT/node-I/adapter (swarmtune inspect OUT compares them) and OUT/report.json.
        No network is involved; the node runtime (swarmtune node) keeps membership over TLS.

        EXAMPLES:
          swarmtune simulate --nodes 4 --rounds 6 --baseline
          swarmtune inspect runs/swarm --html runs/swarm/inspect.html
        """

    static func run(_ args: inout Arguments) throws(CLIError) {
        let path = try args.option("--model") ?? BenchCommand.defaultModel()
        var o = SwarmOptions()
        o.nodes = try args.int("--nodes", default: 4, range: 1...64)!
        let topologyName = try args.option("--topology") ?? "ring"
        guard let topology = Topology(name: topologyName) else {
            throw .usage(command: "simulate", message: "--topology must be ring, full or regular-K (K even), got '\(topologyName)'")
        }
        o.topology = topology
        o.rounds = try args.int("--rounds", default: 6, range: 1...100_000)!
        o.localSteps = try args.int("--local-steps", default: 8, range: 1...100_000)!
        o.examplesPerNode = try args.int("--examples-per-node", default: 80, range: 4...1_000_000)!
        o.ownDomainShare = try args.double("--own-domain", default: 0.85, range: 0...1)!
        o.evalExamples = try args.int("--eval", default: 40, range: 4...100_000)!
        let lr = try args.double("--lr", default: 1e-3, range: 0...1)!
        let rank = try args.int("--rank", default: 8, range: 1...256)!
        let baseline = args.flag("--baseline")
        let precisionText = try args.option("--precision") ?? "fp32"
        guard let precision = Precision(rawValue: precisionText) else {
            throw .usage(command: "simulate", message: "--precision must be fp32 or bf16, got '\(precisionText)'")
        }
        let out = try args.option("--out") ?? "runs/swarm"
        let threads = try args.int("--threads", range: 1...256)
        try args.finish()
        _ = try execute(path: path, options: o, topologyName: topologyName, lr: lr, rank: rank, baseline: baseline,
                        precision: precision, out: out, threads: threads)
    }

    /// Runs the simulation and writes OUT; returns the simulation and the consensus adapter.
    static func execute(path: String, options: SwarmOptions, topologyName: String, lr: Double, rank: Int, baseline: Bool,
                        precision: Precision, out: String, threads: Int?) throws(CLIError)
        -> (sim: SwarmSimulation, consensus: LoRAParameters, model: LlamaModel, core: CoreTokenizer) {
        var o = options
        let (model, core) = try CoreLoading.core(path)
        guard let template = core.chatTemplate else { throw .failure("\(path): \(core.chatTemplateError ?? "no chat template")") }
        o.training.lora = LoRAConfig(rank: rank, alpha: Float(2 * rank), targets: [.q, .k, .v, .o])
        o.training.learningRate = Float(lr)
        o.training.warmupSteps = max(1, o.rounds * o.localSteps / 20)
        o.training.batch = 4
        o.training.seqLen = 96
        o.training.precision = precision
        let pool = ComputePool(threads: threads)
        let sim = SwarmSimulation(model: model, tokenizer: core.tokenizer, template: template, options: o, pool: pool)
        Output.err("swarm: \(o.nodes) nodes, \(topologyName) topology, \(o.rounds) rounds x \(o.localSteps) local steps; core \(path)")
        for (i, c) in sim.domainsOfNode.enumerated() {
            Output.err("  node \(i) private data: " + c.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        Output.out("round   mean loss   consensus before -> after mixing   seconds")
        var rounds: [[String: Any]] = []
        for r in 1...o.rounds {
            let rep: RoundReport
            do { rep = try sim.round(r) } catch { throw .failure(error.description) }
            Output.out(String(format: "%5d   %9.4f   %16.5f -> %-14.5f   %6.1f", r, rep.meanLoss, rep.consensusBefore, rep.consensusAfter, rep.seconds))
            rounds.append(["round": r, "meanLoss": rep.meanLoss, "consensusBefore": rep.consensusBefore,
                           "consensusAfter": rep.consensusAfter, "seconds": rep.seconds])
        }

        func exactMatch(_ lora: LoRAParameters?, label: String) throws(CLIError) -> [String: Any] {
            let matcher = ExactMatch(model: model, tokenizer: core.tokenizer, lora: lora, contextLength: 256, pool: pool)
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
            return ["exactMatch": rate, "perDomain": perDomain]
        }
        Output.out("")
        let consensus = sim.consensusAdapter()
        var results: [String: Any] = [:]
        results["core"] = try exactMatch(nil, label: "core alone")
        results["consensus"] = try exactMatch(consensus, label: "swarm consensus adapter")
        if baseline {
            var bo = o.training
            bo.seed = o.seed &+ 1
            bo.steps = o.rounds * o.localSteps
            let initial = LoRAParameters(config: bo.lora, model: model.config)
            initial.initialize(seed: o.seed, model: model)
            let alone = Trainer(model: model, options: bo, padID: core.tokenizer.padID ?? 0, pool: pool, lora: initial)
            for _ in 0..<bo.steps { do { _ = try alone.trainStep(sim.data[0]) } catch { throw .failure(error.description) } }
            results["node0Alone"] = try exactMatch(alone.lora, label: "node 0 alone (no gossip)")
        }

        let hash = model.computeCoreHash().hex
        do {
            for (i, t) in sim.trainers.enumerated() {
                let dir = "\(out)/node-\(i)"
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                var jsonl = ""  // what this node trained on, kept beside its adapter (never sent)
                for e in sim.records[i] { jsonl += Output.jsonLine(["instruction": e.instruction, "output": e.output]) + "\n" }
                try Data(jsonl.utf8).write(to: URL(fileURLWithPath: dir + "/private-data.jsonl"), options: .atomic)
                try AdapterConversion.adapter(from: t.lora, provenance: AdapterProvenance(
                    coreHash: hash, swarmtuneVersion: SwarmTuneCommand.version, seed: o.seed, extra: ["node": String(i)]))
                    .write(to: dir + "/adapter", replacingExisting: true)
            }
            let report: [String: Any] = ["core": path, "coreHash": hash, "nodes": o.nodes, "topology": topologyName,
                                         "localSteps": o.localSteps, "rounds": rounds, "results": results,
                                         "privateData": sim.domainsOfNode]
            try Data(Output.json(report).utf8).write(to: URL(fileURLWithPath: out + "/report.json"), options: .atomic)
        } catch let e as LoRAAdapterError {
            throw .failure(e.description)
        } catch {
            throw .failure("cannot write under \(out): \(error.localizedDescription)")
        }
        Output.out("\nnode adapters and report.json in \(out); compare them with: swarmtune inspect \(out)")
        return (sim, consensus, model, core)
    }
}
