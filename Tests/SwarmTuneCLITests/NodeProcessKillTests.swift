import Consensus
import Foundation
import Store
import SwarmBase
import Testing
import TestSupport
import TrainData

/// Real `swarmtune node` processes on 127.0.0.1 (a tiny generated core, a ring of four), one of
/// them killed with SIGKILL in the middle of the run and started again on the same state directory.
@Suite("Node processes", .serialized)
struct NodeProcessKillTests {
    static let binary = CLISweepTests.binary
    static let nodes = 4
    static let rounds = 14

    /// A round line as the node prints it: `[t] round 3  loss 1.2  mixed 2/2  late 0  refused 0 ...`.
    struct Line: Equatable {
        var round: Int
        var mixed: Int
        var neighbours: Int
        var late: Int
        var loss: Double?

        init?(_ text: String) {
            let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard let at = words.firstIndex(of: "round"), at + 1 < words.count, let round = Int(words[at + 1]),
                  let m = words.firstIndex(of: "mixed"), m + 1 < words.count,
                  let l = words.firstIndex(of: "late"), l + 1 < words.count, let late = Int(words[l + 1]) else { return nil }
            let parts = words[m + 1].split(separator: "/")
            guard parts.count == 2, let mixed = Int(parts[0]), let neighbours = Int(parts[1]) else { return nil }
            (self.round, self.mixed, self.neighbours, self.late) = (round, mixed, neighbours, late)
            if let at = words.firstIndex(of: "loss"), at + 1 < words.count { loss = Double(words[at + 1]) }
        }
    }

    static func roundLines(_ lines: [String]) -> [Line] { lines.compactMap(Line.init) }

    /// Writes node `i`'s private data: 24 examples of its own synthetic domain.
    static func writeData(_ path: String, node i: Int) throws {
        let examples = SyntheticTasks.generate(count: 24, domains: [SyntheticTasks.domains[i % 4]], seed: UInt64(40 + i))
        var text = ""
        for e in examples {
            let object: [String: String] = ["instruction": e.instruction, "output": e.output]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            text += String(decoding: data, as: UTF8.self) + "\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func run(_ arguments: [String]) throws {
        let p = try NodeProcess(name: arguments.joined(separator: " "), executable: binary, arguments: arguments)
        let status = p.waitForExit(seconds: 60)
        try #require(status == 0, "swarmtune \(arguments.joined(separator: " ")): \(p.lines.joined(separator: "\n"))")
    }

    /// ‖x − mean(others)‖².
    static func distance(_ x: [Float], to others: [[Float]]) -> Double {
        Mixing.squaredDistance(x, Mixing.mean(others))
    }

    /// A directory with a tiny core, a swarm CA, one certificate and private data per node, and
    /// free ports: the command line of each node process.
    struct ProcessSwarm {
        let dir = TemporaryDirectory("swarmtune-processes")
        let core: String
        let certs: String
        let ports: [Int]
        let nodes: Int

        init(nodes: Int) throws {
            self.nodes = nodes
            core = dir.file("tiny.gguf")
            _ = try TinyModel().write(to: core)
            certs = dir.file("certs")
            try NodeProcessKillTests.run(["certs", "init", "--dir", certs])
            for i in 0..<nodes { try NodeProcessKillTests.run(["certs", "issue", "node-\(i)", "--host", "127.0.0.1", "--dir", certs]) }
            ports = try (0..<nodes).map { _ in try freeLoopbackPort() }
            for i in 0..<nodes { try NodeProcessKillTests.writeData(dir.file("node-\(i).jsonl"), node: i) }
        }

        /// Node `i`'s arguments: `options` (training and gossip flags) after the common ones.
        func arguments(_ i: Int, _ options: [String]) -> [String] {
            var a = ["node", "--certs", certs, "--name", "node-\(i)", "--listen", "127.0.0.1:\(ports[i])",
                     "--state", dir.file("state-\(i)"), "--swarm-id", "process-test", "--core", core,
                     "--data", dir.file("node-\(i).jsonl"), "--rank", "2", "--alpha", "4", "--targets", "q,v",
                     "--batch", "2", "--seq-len", "160", "--threads", "1", "--wait-for", String(nodes - 1),
                     "--probe-period-ms", "250", "--keep-checkpoints", "100"] + options
            if i > 0 { a += ["--join", "127.0.0.1:\(ports[0])"] }
            return a
        }

        func start(_ i: Int, _ options: [String], log: String) throws -> NodeProcess {
            try NodeProcess(name: "node-\(i)", executable: NodeProcessKillTests.binary, arguments: arguments(i, options),
                            log: dir.file(log))
        }
    }

    @Test("4 node processes, learning rate 0, different starts: the consensus distance shrinks each round by λ₂² = 1/9")
    func processesContractAsTheMixingMatrixPredicts() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build the swarmtune executable first")
        let swarm = try ProcessSwarm(nodes: 4)
        let rounds = 4
        let processes = try (0..<4).map { i in
            try swarm.start(i, ["--rounds", String(rounds), "--local-steps", "1", "--lr", "0", "--init-seed", String(100 + i),
                                "--deadline-ms", "120000"], log: "node-\(i).log")
        }
        for p in processes {
            let status = p.waitForExit(seconds: 300)
            #expect(status == 0, "\(p.name) exit \(String(describing: status)):\n\(p.lines.suffix(20).joined(separator: "\n"))")
        }
        // Every round's checkpoint holds the node's adapter after that round's mix.
        let stores = try (0..<4).map { try NodeStore.openReadOnly(directory: swarm.dir.file("state-\($0)")) }
        var previous: Double?
        for r in 1...Int64(rounds) {
            let adapters = try stores.map { try #require(try $0.checkpoint(round: r)?.adapter, "round \(r) checkpoint") }
            let distance = Mixing.consensusDistance(adapters)
            if let previous {
                let ratio = distance / previous
                print("processes, round \(r): consensus distance \(distance), ratio \(ratio) (predicted \(1.0 / 9.0))")
                #expect(abs(ratio - 1.0 / 9.0) < 0.1 / 9.0, "round \(r): ratio \(ratio)")
            }
            previous = distance
        }
        for (i, p) in processes.enumerated() {
            #expect(Self.roundLines(p.lines).allSatisfy { $0.mixed == 2 }, "node-\(i): \(p.lines.suffix(6))")
        }
    }

    @Test("kill -9 mid-round: the others complete every round, the node resumes from its store and catches up")
    func killedNodeResumesAndCatchesUp() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build the swarmtune executable first")
        let swarm = try ProcessSwarm(nodes: Self.nodes)
        let dir = swarm.dir
        let options = ["--rounds", String(Self.rounds), "--local-steps", "3", "--lr", "0.05", "--deadline-ms", "6000"]
        func arguments(_ i: Int) -> [String] { swarm.arguments(i, options) }
        var processes: [NodeProcess] = []
        for i in 0..<Self.nodes {
            processes.append(try swarm.start(i, options, log: "node-\(i).log"))
        }
        func report() -> String {
            processes.map { p in "\(p.name):\n" + p.lines.suffix(40).joined(separator: "\n") }.joined(separator: "\n")
        }
        let victim = 2

        // Kill the victim once it has finished round 3: it is then in round 4's local steps or
        // waiting for round 4's factors.
        let reachedThree = processes[victim].wait(seconds: 240) { Self.roundLines($0).contains { $0.round == 3 } }
        try #require(reachedThree, "node-\(victim) never completed round 3\n\(report())")
        processes[victim].signal(SIGKILL)
        _ = processes[victim].waitForExit(seconds: 10)
        let killedAt = Self.roundLines(processes[victim].lines).map(\.round).max() ?? 0
        let preKillCheckpoint = try NodeStore.openReadOnly(directory: dir.file("state-\(victim)")).latestCheckpoint()
        let k = try #require(preKillCheckpoint?.round, "no checkpoint before the kill")
        #expect(k == Int64(killedAt), "the last printed round is the last checkpoint")

        // The others go on without it: wait for two more rounds on each, then restart it.
        let others = (0..<Self.nodes).filter { $0 != victim }
        let atKill = others.map { Self.roundLines(processes[$0].lines).map(\.round).max() ?? 0 }
        for (j, i) in others.enumerated() {
            let moved = processes[i].wait(seconds: 240) { Self.roundLines($0).contains { $0.round >= atKill[j] + 2 } }
            try #require(moved, "node-\(i) did not go on after the kill\n\(report())")
        }
        let restarted = try NodeProcess(name: "node-\(victim) (restarted)", executable: Self.binary,
                                        arguments: arguments(victim), log: dir.file("node-\(victim)-restarted.log"))
        let resumed = restarted.wait(seconds: 60) { $0.contains { $0.contains("starting at round") } }
        try #require(resumed, "the restarted node did not start\n\(restarted.lines.joined(separator: "\n"))")
        #expect(restarted.lines.contains { $0.contains("starting at round \(k + 1)") },
                "resumes after its last checkpoint \(k): \(restarted.lines.prefix(3))")

        // Everyone completes the run.
        for i in others {
            let status = processes[i].waitForExit(seconds: 300)
            #expect(status == 0, "node-\(i) exit \(String(describing: status))\n\(report())")
        }
        let status = restarted.waitForExit(seconds: 300)
        #expect(status == 0, "restarted node exit \(String(describing: status))\n\(restarted.lines.joined(separator: "\n"))")

        // The others completed every round they ran, to the last; in some the victim's weight went
        // back to self. While the views disagree (the victim's death and return reach each node at
        // its own time) a node can fall two rounds behind a neighbour that did not wait for it, and
        // then skips ahead by the catch-up rule (docs/NODE.md): at most two rounds in this run.
        for i in others {
            let rounds = Self.roundLines(processes[i].lines).map(\.round)
            #expect(rounds.last == Self.rounds && rounds == rounds.sorted() && Set(rounds).count == rounds.count,
                    "node-\(i) rounds \(rounds)")
            #expect(rounds.count >= Self.rounds - 2, "node-\(i) skipped \(Set(1...Self.rounds).subtracting(rounds).sorted())")
        }
        // Training went on through the fault: every other node's loss fell.
        for i in others {
            let losses = Self.roundLines(processes[i].lines).compactMap(\.loss)
            try #require(losses.count >= 4, "node-\(i) losses \(losses)")
            let early = (losses[0] + losses[1]) / 2, late = (losses[losses.count - 2] + losses[losses.count - 1]) / 2
            #expect(late < 0.8 * early, "node-\(i) losses \(losses)")
        }
        // The victim's ring neighbours closed a round without it, its weight kept by themselves.
        #expect(others.contains { i in Self.roundLines(processes[i].lines).contains { $0.round > k && $0.mixed < $0.neighbours } },
                "no node mixed without the victim\n\(report())")

        // Every database is sound and every checkpoint survived; the victim's pre-kill ones too.
        var stores: [NodeStore] = []
        for i in 0..<Self.nodes {
            let store = try NodeStore.openReadOnly(directory: dir.file("state-\(i)"))
            #expect(try store.integrityCheck().isEmpty, "node-\(i) integrity")
            #expect(try store.latestCheckpoint()?.round == Int64(Self.rounds), "node-\(i) last checkpoint")
            stores.append(store)
        }
        let victimRounds = try stores[victim].checkpointRounds()
        #expect(Set(1...k).isSubset(of: Set(victimRounds)), "the victim's checkpoints 1...\(k) survive: \(victimRounds)")
        for i in others {
            let ran = Self.roundLines(processes[i].lines).map { Int64($0.round) }
            #expect(try stores[i].checkpointRounds() == ran, "node-\(i): a checkpoint for every round it completed")
        }

        // Its distance to the others: back under the pre-kill level within 3 rounds of rejoining.
        func distance(at round: Int64) throws -> Double? {
            guard let mine = try stores[victim].checkpoint(round: round) else { return nil }
            var theirs: [[Float]] = []
            for i in others { guard let c = try stores[i].checkpoint(round: round) else { return nil }; theirs.append(c.adapter) }
            return Self.distance(mine.adapter, to: theirs)
        }
        let before = try #require(try distance(at: k))
        let after = victimRounds.filter { $0 > k }.prefix(3)
        let distances = try after.map { ($0, try distance(at: $0)) }
        print("victim killed after round \(k) (distance² to the others' mean \(before)); after rejoining: "
              + distances.map { "round \($0.0): \($0.1.map { "\($0)" } ?? "-")" }.joined(separator: ", "))
        let recovered = distances.contains { ($0.1 ?? .infinity) <= before }
        #expect(recovered, "not back under \(before) within 3 rounds: \(distances)")
        if !recovered { print(restarted.lines.joined(separator: "\n")); print(report()) }
        if let keep = ProcessInfo.processInfo.environment["SWARMTUNE_KEEP_TEST_DIR"] {
            try? FileManager.default.copyItem(atPath: dir.path, toPath: keep)
        }
    }
}
