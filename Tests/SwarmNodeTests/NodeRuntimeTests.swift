import Consensus
import Foundation
import Gossip
import LM
import Membership
import Store
import SwarmBase
import SwarmNode
import Synchronization
import Tensor
import TestSupport
import Testing
import Train
import TrainData
import Transport

/// Real node runtimes on 127.0.0.1 over mutually authenticated TLS, in one test process: each has
/// its own transport, membership driver, round machine, trainer and SQLite store; a tiny generated
/// core; a ring.
@Suite("Node runtime over TLS", .serialized)
struct NodeRuntimeTests {
    /// Everything a few nodes share: the CA, the tiny core, the data, a scratch directory.
    final class Harness: @unchecked Sendable {
        let ca: SwarmCA
        let model: LlamaModel
        let core: CoreTokenizer
        let directory: TemporaryDirectory
        let coreDirectory: TemporaryDirectory
        /// Every node's exchanged vector after each completed round, by node index and round.
        let snapshots = Mutex<[Int: [UInt64: [Float]]]>([:])
        let lines = Mutex<[Int: [RoundLine]]>([:])
        let warnings = Mutex<[Int: [String]]>([:])
        /// One certificate per node index, made once: a second run with the same harness has the
        /// same node ids (so the same ring and the same per-node training seeds).
        private let identities = Mutex<[Int: TLSIdentity]>([:])

        init() throws {
            ca = try SwarmCA.ephemeral()
            let (model, core, dir) = try TinyModel.loaded()
            self.model = model
            self.core = core
            coreDirectory = dir
            directory = TemporaryDirectory("swarmtune-node")
        }

        func configuration(_ index: Int, rounds: Int, lr: Float, seeds: [PeerAddress], members: Int,
                           testInit: Bool, mode: AveragingMode = .factors) -> NodeConfiguration {
            var c = NodeConfiguration(swarmID: "node-test", stateDirectory: directory.file("node\(index)"),
                                      listen: "127.0.0.1:0")
            c.seeds = seeds
            c.rounds = rounds
            c.localSteps = 2
            c.training.batch = 2
            c.training.seqLen = 160
            c.training.learningRate = lr
            c.training.lora = LoRAConfig(rank: 2, alpha: 4, targets: [.q, .v])
            c.training.threads = 1
            c.testInitSeed = testInit ? UInt64(100 + index) : nil
            c.gossip.deadline = .seconds(120)
            c.gossip.mode = mode
            c.membershipPeriod = .milliseconds(500)
            c.waitForMembers = members
            // Generous: on a loaded machine (CI runs every suite at once) the TLS joins are slow,
            // and a node that starts before it sees everyone locks a different ring.
            c.waitForMembersTimeout = .seconds(120)
            return c
        }

        /// Node `index`'s private examples (its own seed: no two nodes share data).
        func examples(_ index: Int) -> [TokenizedExample] {
            SyntheticTasks.generate(count: 8, seed: UInt64(1 + index)).map {
                core.chatTemplate!.example($0.record, tokenizer: core.tokenizer)
            }
        }

        func identity(_ index: Int) throws -> TLSIdentity {
            if let known = identities.withLock({ $0[index] }) { return known }
            let made = try ca.makeIdentity(name: "node\(index)")
            identities.withLock { $0[index] = made }
            return made
        }

        func runtime(_ index: Int, _ configuration: NodeConfiguration, examples given: [TokenizedExample]? = nil) throws -> NodeRuntime {
            let identity = try identity(index)
            let box = RuntimeBox()
            let runtime = try NodeRuntime(configuration: configuration, identity: identity, model: model,
                                          examples: given ?? examples(index), padID: 2, pool: ComputePool(threads: 1)) { [self] report in
                if case .warning(let text) = report { warnings.withLock { $0[index, default: []].append(text) } }
                guard case .round(let line) = report, let runtime = box.runtime else { return }
                let vector = runtime.exchanged.vector(of: runtime.parameters)
                snapshots.withLock { $0[index, default: [:]][line.round] = vector }
                lines.withLock { $0[index, default: []].append(line) }
            }
            box.runtime = runtime
            return runtime
        }
    }

    final class RuntimeBox: @unchecked Sendable { var runtime: NodeRuntime? }

    /// Runs the runtimes on threads; returns their outcomes in order.
    static func runAll(_ runtimes: [NodeRuntime]) -> [Result<NodeOutcome, NodeError>] {
        let results = Mutex<[Int: Result<NodeOutcome, NodeError>]>([:])
        let group = DispatchGroup()
        for (i, r) in runtimes.enumerated() {
            group.enter()
            Thread {
                let outcome: Result<NodeOutcome, NodeError>
                do throws(NodeError) { outcome = .success(try r.run()) } catch { outcome = .failure(error) }
                results.withLock { $0[i] = outcome }
                group.leave()
            }.start()
        }
        group.wait()
        return results.withLock { d in (0..<runtimes.count).map { d[$0]! } }
    }

    /// Starts node 0, then the others seeded with node 0's address (`adjust` may change a node's
    /// configuration before its runtime is made).
    static func startRing(_ h: Harness, count: Int, rounds: Int, lr: Float, testInit: Bool,
                          mode: AveragingMode = .factors,
                          adjust: (Int, inout NodeConfiguration) -> Void = { _, _ in }) throws -> [NodeRuntime] {
        var runtimes: [NodeRuntime] = []
        // Node 0 listens on a fixed free port so the others can name it as their seed.
        let port = try freeLoopbackPort()
        for i in 0..<count {
            var c = h.configuration(i, rounds: rounds, lr: lr, seeds: i == 0 ? [] : [try PeerAddress(parsing: "127.0.0.1:\(port)")],
                                    members: count - 1, testInit: testInit, mode: mode)
            if i == 0 { c.listen = "127.0.0.1:\(port)" }
            adjust(i, &c)
            runtimes.append(try h.runtime(i, c))
        }
        return runtimes
    }

    /// Prints a node's round lines and its last exchanges (for a failed expectation on mixing).
    static func explain(_ h: Harness, node i: Int) throws {
        let lines = h.lines.withLock { $0[i] ?? [] }
        for w in h.warnings.withLock({ $0[i] ?? [] }) { print("node \(i) warning: \(w)") }
        print("node \(i): \(lines.map { "r\($0.round) mixed \($0.mixed)/\($0.neighbours) late \($0.late) refused \($0.refused)" })")
        let store = try NodeStore.openReadOnly(directory: h.directory.file("node\(i)"))
        for e in try store.exchanges(last: 60) { print("  \(e)") }
    }

    @Test("with learning rate 0, the consensus distance shrinks each round by the ring's λ₂² (1/9)")
    func consensusContractsAsTheMixingMatrixPredicts() throws {
        let h = try Harness()
        let rounds = 4
        let runtimes = try Self.startRing(h, count: 4, rounds: rounds, lr: 0, testInit: true)
        let initial = runtimes.map { $0.exchanged.vector(of: $0.parameters) }
        let outcomes = Self.runAll(runtimes)
        for outcome in outcomes { #expect(try outcome.get().roundsCompleted == rounds) }
        let snapshots = h.snapshots.withLock { $0 }
        var previous = Mixing.consensusDistance(initial)
        #expect(previous > 0)
        // Ring of 4 with Metropolis weights: w = 1/3 for self and each neighbour; the non-trivial
        // eigenvalues are 1/3 and -1/3, so every round multiplies the distance by exactly 1/9.
        for r in 1...UInt64(rounds) {
            let vectors = (0..<4).map { snapshots[$0]?[r] ?? [] }
            try #require(vectors.allSatisfy { $0.count == initial[0].count }, "round \(r) snapshot missing")
            let distance = Mixing.consensusDistance(vectors)
            let ratio = distance / previous
            let mixes = (0..<4).map { i in h.lines.withLock { $0[i]?.first { $0.round == r }.map { "\($0.mixed)/\($0.neighbours)" } ?? "-" } }
            print("round \(r): consensus distance \(distance), ratio \(ratio) (predicted \(1.0 / 9.0)); mixed \(mixes)")
            #expect(abs(ratio - 1.0 / 9.0) < 0.1 / 9.0, "round \(r): ratio \(ratio), predicted 1/9")
            if abs(ratio - 1.0 / 9.0) >= 0.1 / 9.0 { for i in 0..<4 { try Self.explain(h, node: i) } }
            previous = distance
        }
        // The network average is preserved by a doubly stochastic matrix.
        let mean0 = Mixing.mean(initial), meanR = Mixing.mean((0..<4).map { snapshots[$0]![UInt64(rounds)]! })
        #expect(Mixing.squaredDistance(mean0, meanR) < 1e-8 * max(1, Double(Mixing.norm(mean0))))
    }

    @Test("with training on, every node's loss falls and every round is checkpointed")
    func trainingLowersLossOnEveryNode() throws {
        let h = try Harness()
        let rounds = 8
        let runtimes = try Self.startRing(h, count: 3, rounds: rounds, lr: 5e-2, testInit: false)
        let outcomes = Self.runAll(runtimes)
        for outcome in outcomes { #expect(try outcome.get().roundsCompleted == rounds) }
        let lines = h.lines.withLock { $0 }
        for i in 0..<3 {
            let losses = (lines[i] ?? []).compactMap(\.loss)
            try #require(losses.count == rounds)
            print("node \(i) losses: \(losses)")
            // Batches differ round to round: compare the first and last two rounds' means.
            let early = (losses[0] + losses[1]) / 2, late = (losses[rounds - 2] + losses[rounds - 1]) / 2
            #expect(late < early * 0.8, "node \(i) losses \(losses)")
            let ok = (lines[i] ?? []).allSatisfy { $0.mixed == 2 && $0.refused == 0 }
            if !ok { try Self.explain(h, node: i) }
            #expect(ok)
            let store = try NodeStore.openReadOnly(directory: h.directory.file("node\(i)"))
            #expect(try store.latestCheckpoint()?.round == Int64(rounds))
            #expect(try store.integrityCheck().isEmpty)
        }
    }
}

extension NodeRuntimeTests {
    @Test("a restarted node resumes from its store after the last complete round, with the same adapter")
    func restartResumesFromTheStore() throws {
        let h = try Harness()
        let identity = try h.ca.makeIdentity(name: "solo")
        var c = h.configuration(0, rounds: 2, lr: 1e-2, seeds: [], members: 0, testInit: false)
        c.gossip.deadline = .milliseconds(200)
        // The store (and its directory lock) closes when the runtime is released.
        let trained: [Float] = try {
            let first = try NodeRuntime(configuration: c, identity: identity, model: h.model, examples: h.examples(0),
                                        padID: 2, pool: ComputePool(threads: 1)) { _ in }
            #expect(first.firstRound == 1)
            #expect(try first.run().lastRound == 2)
            return first.exchanged.vector(of: first.parameters)
        }()

        c.rounds = 3
        let second = try NodeRuntime(configuration: c, identity: identity, model: h.model, examples: h.examples(0),
                                     padID: 2, pool: ComputePool(threads: 1)) { _ in }
        #expect(second.firstRound == 3)
        #expect(second.exchanged.vector(of: second.parameters) == trained)
        let outcome = try second.run()
        #expect(outcome.lastRound == 3 && outcome.roundsCompleted == 1)
        #expect(second.exchanged.vector(of: second.parameters) != trained)

        // Another node's certificate on the same state directory is refused, the file untouched.
        _ = consume second
        let other = try h.ca.makeIdentity(name: "intruder")
        let before = try FileIO.readAll(NodeStore.databasePath(in: c.stateDirectory), limit: 1 << 30)
        #expect(throws: NodeError.self) {
            _ = try NodeRuntime(configuration: c, identity: other, model: h.model, examples: h.examples(0),
                                padID: 2, pool: ComputePool(threads: 1)) { _ in }
        }
        #expect(try FileIO.readAll(NodeStore.databasePath(in: c.stateDirectory), limit: 1 << 30) == before)
    }

    @Test("frozen-a: A never moves on any node, only Bᵀ travels, and the product gap stays 0")
    func frozenAKeepsAExact() throws {
        let h = try Harness()
        let runtimes = try Self.startRing(h, count: 3, rounds: 3, lr: 2e-2, testInit: false, mode: .frozenA)
        let initialA = runtimes[0].parameters.slots.map { s in
            Array(UnsafeBufferPointer(start: runtimes[0].parameters.a(s), count: runtimes[0].parameters.config.rank * s.inputs))
        }
        for outcome in Self.runAll(runtimes) { #expect(try outcome.get().roundsCompleted == 3) }
        for r in runtimes {
            let p = r.parameters
            for (i, s) in p.slots.enumerated() {
                #expect(Array(UnsafeBufferPointer(start: p.a(s), count: p.config.rank * s.inputs)) == initialA[i])
            }
            // Only Bᵀ is exchanged.
            let bt = p.slots.reduce(0) { $0 + p.config.rank * $1.outputs }
            #expect(r.exchanged.count == bt)
        }
        // With one A everywhere, mean(B_i A) = mean(B_i) A: the product gap is exactly zero, and
        // the mixed Bᵀ contract towards their average.
        let lines = h.lines.withLock { $0 }
        for i in 0..<3 {
            let ok = (lines[i] ?? []).allSatisfy { $0.mixed == 2 }
            if !ok { try Self.explain(h, node: i) }
            #expect(ok)
            for line in lines[i] ?? [] { #expect((line.productGap ?? 1) < 1e-6, "node \(i) round \(line.round): gap \(line.productGap ?? -1)") }
        }
    }
}
