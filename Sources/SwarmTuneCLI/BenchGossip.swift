import Foundation
import Gossip
import LM
import Membership
import SwarmBase
import SwarmNode
import Synchronization
import Tensor
import Train
import TrainData
import Transport

/// `swarmtune bench gossip`: what the exchange costs a node. N node runtimes in this process, each
/// with its own TLS transport, SWIM membership, round machine, trainer and SQLite store, share the
/// memory-mapped core and train on private synthetic data (node i: domain i mod 4); they gossip
/// over 127.0.0.1 on a ring. Each node times its own exchange work per round (encoding and
/// queueing its factors, decoding and checking its neighbours', the mix) against the round's wall
/// time, and counts the factor bytes.
struct BenchGossip: Command {
    static let name = "bench gossip"
    static let summary = "the exchange's share of round time (encode, send, decode, checks, mix) and bytes per round, N nodes on the core"
    static let discussion = """
        Rounds are K local steps then one gossip round; the first round also holds the joins and is
        left out of the means. The wait for neighbours is shown apart from the exchange work: on a
        machine with fewer cores than nodes it is the other nodes' compute, not the network.
        """
    static let examples = ["bench gossip", "bench gossip --nodes 4 --rounds 3 --local-steps 1 --json"]

    struct Options: Declarations {
        let model = Option.text("--model", "PATH", help: "the core", default: BenchForward.defaultModel)
        let nodes = Option.integer("--nodes", help: "node runtimes in this process", default: 8, range: 2...64)
        let rounds = Option.integer("--rounds", help: "gossip rounds (the first is not measured)", default: 3, range: 2...1000)
        let localSteps = Option.integer("--local-steps", "K", help: "local optimizer steps per round", default: 2, range: 1...10_000)
        let batch = Option.integer("--batch", help: "examples per step", default: 4, range: 1...256)
        let seqLen = Option.integer("--seq-len", help: "tokens per example", default: 128, range: 8...8192)
        let rank = Option.integer("--rank", help: "LoRA rank", default: 8, range: 1...512)
        let targets = Option.loraTargets(help: "the adapted projections")
        let mode = Option.choice("--mode", [("factors", AveragingMode.factors), ("frozen-a", AveragingMode.frozenA)],
                                 help: "what is averaged", default: .factors)
        let json = Flag("--json", help: "print the figures as JSON")
    }

    let path: String
    let nodes: Int
    let rounds: Int
    let localSteps: Int
    let batch: Int
    let seqLen: Int
    let rank: Int
    let targets: [LoRATarget]
    let mode: AveragingMode
    let json: Bool

    init(_ d: Options, _ p: inout ParsedArguments) throws(CLIError) {
        path = try p.value(d.model)
        nodes = try p.value(d.nodes)
        rounds = try p.value(d.rounds)
        localSteps = try p.value(d.localSteps)
        batch = try p.value(d.batch)
        seqLen = try p.value(d.seqLen)
        rank = try p.value(d.rank)
        targets = try p.value(d.targets)
        mode = try p.value(d.mode)
        json = p.flag(d.json)
    }

    /// The figures `--json` prints.
    struct Figures: Codable {
        struct Round: Codable {
            var round: Int
            var meanSeconds: Double
            var meanExchangeSeconds: Double
            var meanWaitSeconds: Double
            var bytesSentPerNode: Double
            var bytesReceivedPerNode: Double
            var mixedPerNode: Double
        }
        var core: String
        var nodes: Int
        var localSteps: Int
        var batch: Int
        var seqLen: Int
        var rank: Int
        var mode: String
        var cores: Int
        var rounds: [Round]
        /// Over rounds 2...R: Σ exchange / Σ round seconds, and Σ wait / Σ round seconds.
        var exchangeShare: Double
        var waitShare: Double
        var bytesSentPerNodePerRound: Double
        var seconds: Double
    }

    func run() throws(CLIError) {
        let started = Date()
        let (model, core) = try CoreLoading.core(path)
        guard let template = core.chatTemplate else { throw .failure("\(path): the core has no chat template") }
        let ca: SwarmCA
        do { ca = try SwarmCA.ephemeral() } catch { throw .failure(error.description) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swarmtune-bench-gossip-\(getpid())").path
        defer { try? FileIO.removeTree(directory) }
        let port = 27_000 + Int(getpid() % 500) * 10
        let lines = Mutex<[Int: [RoundLine]]>([:])
        var runtimes: [NodeRuntime] = []
        for i in 0..<nodes {
            var c = NodeConfiguration(swarmID: "bench-gossip", stateDirectory: "\(directory)/node\(i)",
                                      listen: "127.0.0.1:\(i == 0 ? port : 0)")
            do { c.seeds = i == 0 ? [] : [try PeerAddress(parsing: "127.0.0.1:\(port)")] } catch { throw .failure("\(error)") }
            c.rounds = rounds
            c.localSteps = localSteps
            c.training.batch = batch
            c.training.seqLen = seqLen
            c.training.learningRate = 1e-3
            c.training.lora = LoRAConfig(rank: rank, alpha: Float(2 * rank), targets: targets)
            c.training.threads = 1
            c.gossip.mode = mode
            c.gossip.deadline = .seconds(600)
            c.waitForMembers = nodes - 1
            c.waitForMembersTimeout = .seconds(120)
            let examples = SyntheticTasks.generate(count: 64, domains: [SyntheticTasks.domains[i % SyntheticTasks.domains.count]],
                                                   seed: UInt64(500 + i)).map { template.example($0.record, tokenizer: core.tokenizer) }
            do {
                let identity = try ca.makeIdentity(name: "bench-\(i)")
                runtimes.append(try NodeRuntime(configuration: c, identity: identity, model: model, examples: examples,
                                                padID: core.tokenizer.padID ?? core.tokenizer.eosID ?? 0,
                                                pool: ComputePool(threads: 1)) { report in
                    if case .round(let line) = report { lines.withLock { $0[i, default: []].append(line) } }
                })
            } catch { throw .failure("node \(i): \(error)") }
        }
        if !json {
            Output.out("bench gossip: \(nodes) nodes in this process on \(path), ring, \(mode.rawValue) mode, K = \(localSteps), "
                       + "batch \(batch) x \(seqLen), rank \(rank) \(targets.map(\.rawValue).joined(separator: ",")), "
                       + "1 thread each, \(ProcessInfo.processInfo.activeProcessorCount) cores")
        }
        let failures = Mutex<[String]>([])
        let group = DispatchGroup()
        for (i, runtime) in runtimes.enumerated() {
            group.enter()
            Thread {
                do throws(NodeError) {
                    let outcome = try runtime.run()
                    if let failure = outcome.failure { failures.withLock { $0.append("node \(i): \(failure)") } }
                } catch { failures.withLock { $0.append("node \(i): \(error)") } }
                group.leave()
            }.start()
        }
        group.wait()
        if let failure = failures.withLock({ $0.first }) { throw .failure(failure) }

        let byNode = lines.withLock { $0 }
        var perRound: [Figures.Round] = []
        for r in 1...rounds {
            let these = (0..<nodes).compactMap { byNode[$0]?.first { $0.round == UInt64(r) } }
            guard !these.isEmpty else { continue }
            let n = Double(these.count)
            func mean(_ value: (RoundLine) -> Double) -> Double { these.map(value).reduce(0, +) / n }
            perRound.append(.init(round: r, meanSeconds: mean(\.seconds), meanExchangeSeconds: mean(\.exchangeSeconds),
                                  meanWaitSeconds: mean(\.waitSeconds), bytesSentPerNode: mean { Double($0.bytesSent) },
                                  bytesReceivedPerNode: mean { Double($0.bytesReceived) }, mixedPerNode: mean { Double($0.mixed) }))
        }
        let measured = perRound.filter { $0.round > 1 }
        let total = measured.map(\.meanSeconds).reduce(0, +)
        guard total > 0 else { throw .failure("no round after the first completed on every node") }
        let figures = Figures(core: path, nodes: nodes, localSteps: localSteps, batch: batch, seqLen: seqLen, rank: rank,
                              mode: mode.rawValue, cores: ProcessInfo.processInfo.activeProcessorCount, rounds: perRound,
                              exchangeShare: measured.map(\.meanExchangeSeconds).reduce(0, +) / total,
                              waitShare: measured.map(\.meanWaitSeconds).reduce(0, +) / total,
                              bytesSentPerNodePerRound: measured.map(\.bytesSentPerNode).reduce(0, +) / Double(measured.count),
                              seconds: Date().timeIntervalSince(started))
        if json { Output.out(try Output.json(figures)); return }
        var rows = [["round", "mean s", "exchange s", "wait s", "sent/node", "received/node", "mixed/node"]]
        for r in perRound {
            rows.append([String(r.round), String(format: "%.2f", r.meanSeconds), String(format: "%.3f", r.meanExchangeSeconds),
                         String(format: "%.2f", r.meanWaitSeconds), RoundLine.byteSize(Int(r.bytesSentPerNode)),
                         RoundLine.byteSize(Int(r.bytesReceivedPerNode)), String(format: "%.1f", r.mixedPerNode)])
        }
        for line in Output.table(rows) { Output.out(line) }
        Output.out(String(format: "rounds 2-%d: exchange work %.2f%% of round time (target <= 5%%); waiting for neighbours %.1f%%; "
                          + "%@ sent per node per round; %.0f s in all", rounds, 100 * figures.exchangeShare, 100 * figures.waitShare,
                          RoundLine.byteSize(Int(figures.bytesSentPerNodePerRound)), figures.seconds))
    }
}
