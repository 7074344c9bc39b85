import Foundation
import Gossip
import Membership
import Store
import SwarmBase
import SwarmNode
import Synchronization
import Testing
import TestSupport
import Transport

/// A member of the swarm (a certificate of the swarm CA, so it is a neighbour on the ring) that
/// sends crafted factors frames instead of its own (`NodeConfiguration.rewriteOutgoingFactors`), run
/// against three honest node runtimes over loopback TLS.
@Suite("A hostile neighbour", .serialized)
struct HostileNeighbourTests {
    typealias Harness = NodeRuntimeTests.Harness

    static let rounds = 5
    static let hostile = 3

    /// The hostile node's genuine frames by round (it trains and mixes like any node; only what it
    /// sends is rewritten), for the replays.
    final class Genuine: @unchecked Sendable {
        let bodies = Mutex<[UInt64: [UInt8]]>([:])
    }

    /// `body` with its values changed by `change` (the tensor list flattened in order), re-encoded.
    static func rewritten(_ body: [UInt8], sender: NodeID, _ change: (inout [[Float]]) -> Void,
                          shapes: (([Int], Int) -> [Int])? = nil) throws -> [UInt8] {
        var message = try FactorsMessage.decode(body, sender: sender)
        var values = message.tensors.map { $0.floats ?? [] }
        change(&values)
        message.tensors = try zip(message.tensors, values).enumerated().map { i, pair in
            let shape = shapes?(pair.0.shape, i) ?? pair.0.shape
            return try FactorTensor(name: pair.0.name, shape: shape, floats: pair.1)
        }
        return try message.encoded()
    }

    /// Per round and neighbour: a wrong shape (one value short), a NaN, an infinity, every value
    /// × 1000, the genuine frame of two rounds back (a replay), and last (the receiver closes the
    /// connection on it) this round's genuine frame claiming another honest node as its sender.
    static func hostileFrames(_ out: OutgoingFactors, me: NodeID, honest: [NodeID], genuine: Genuine) -> [OutgoingFactors] {
        genuine.bodies.withLock { $0[out.round] = out.body }
        do {
            var frames: [[UInt8]] = [
                try rewritten(out.body, sender: me, { _ = $0[0].removeLast() }, shapes: { shape, i in i == 0 ? [shape.reduce(1, *) - 1] : shape }),
                try rewritten(out.body, sender: me) { $0[0][0] = .nan },
                try rewritten(out.body, sender: me) { $0[$0.count - 1][$0[$0.count - 1].count - 1] = .infinity },
                try rewritten(out.body, sender: me) { v in v = v.map { $0.map { $0 * 1000 } } },
            ]
            if out.round > 2, let old = genuine.bodies.withLock({ $0[out.round - 2] }) { frames.append(old) }
            var result = frames.map { OutgoingFactors(round: out.round, peer: out.peer, body: $0) }
            result.append(OutgoingFactors(round: out.round, peer: out.peer, body: out.body,
                                          claimedSender: impersonated(to: out.peer, honest: honest)))
            return result
        } catch {
            Issue.record("crafting a hostile frame: \(error)")
            return []
        }
    }

    /// The honest node a forged frame to `peer` claims to come from.
    static func impersonated(to peer: NodeID, honest: [NodeID]) -> NodeID { honest.first { $0 != peer }! }

    /// The reference run's fourth node: a member and a neighbour that sends nothing mixable (one
    /// frame per round with a NaN, refused like every hostile frame).
    static func silentFrames(_ out: OutgoingFactors, me: NodeID) -> [OutgoingFactors] {
        do {
            return [OutgoingFactors(round: out.round, peer: out.peer, body: try rewritten(out.body, sender: me) { $0[0][0] = .nan })]
        } catch {
            Issue.record("crafting the reference frame: \(error)")
            return []
        }
    }

    struct Run {
        var runtimes: [NodeRuntime]
        var initial: [[UInt32]]
        /// Each honest node's adapter after round `rounds`, as f32 bit patterns.
        var final: [[UInt32]]
        var lines: [Int: [RoundLine]]
        var directory: (Int) -> String
    }

    /// Four runtimes (same certificates in every run: same ids, ring and training seeds), the
    /// fourth with `rewrite`, trained with learning rate > 0 until every honest node completed
    /// `rounds`. The nodes run until stopped rather than for `rounds`: a node that finishes its
    /// last round leaves, and a neighbour may hear of the departure before that node's last frame
    /// (then it mixes the round without it), which would make the last round's mix timing-dependent.
    static func run(_ h: Harness, label: String,
                    rewrite: (@Sendable (OutgoingFactors) -> [OutgoingFactors])?) throws -> Run {
        h.lines.withLock { $0 = [:] }
        h.snapshots.withLock { $0 = [:] }
        let port = try freeLoopbackPort()
        let directory: (Int) -> String = { h.directory.file("\(label)-node\($0)") }
        var runtimes: [NodeRuntime] = []
        for i in 0..<4 {
            var c = h.configuration(i, rounds: rounds, lr: 5e-2, seeds: i == 0 ? [] : [try PeerAddress(parsing: "127.0.0.1:\(port)")],
                                    members: 3, testInit: false)
            c.rounds = nil
            c.stateDirectory = directory(i)
            if i == 0 { c.listen = "127.0.0.1:\(port)" }
            if i == hostile { c.rewriteOutgoingFactors = rewrite }
            runtimes.append(try h.runtime(i, c))
        }
        let initial = runtimes.map(adapter)
        let all = runtimes
        Thread {
            let until = Deadline(after: .seconds(600), from: MonotonicClock.now())
            while !until.hasPassed(at: MonotonicClock.now())
                && !h.snapshots.withLock({ s in (0..<3).allSatisfy { s[$0]?[UInt64(rounds)] != nil } }) {
                usleep(20_000)
            }
            for runtime in all { runtime.stop() }
        }.start()
        for (i, outcome) in NodeRuntimeTests.runAll(runtimes).enumerated() {
            #expect(try outcome.get().roundsCompleted >= (i == hostile ? 0 : rounds), "\(label) node \(i)")
        }
        let final = try h.snapshots.withLock { s in
            try (0..<3).map { i in try #require(s[i]?[UInt64(rounds)], "\(label) node \(i) completed round \(rounds)").map(\.bitPattern) }
        }
        return Run(runtimes: runtimes, initial: initial, final: final, lines: h.lines.withLock { $0 }, directory: directory)
    }

    /// The exchanged vector: in `factors` mode every value of the adapter (checked in the test).
    static func adapter(_ runtime: NodeRuntime) -> [UInt32] {
        runtime.exchanged.vector(of: runtime.parameters).map(\.bitPattern)
    }

    static func explain(_ run: Run, node i: Int) throws {
        print("node \(i): \((run.lines[i] ?? []).map { "r\($0.round) mixed \($0.mixed)/\($0.neighbours) late \($0.late) refused \($0.refused)" })")
        for e in try NodeStore.openReadOnly(directory: run.directory(i)).exchanges(last: 200) { print("  \(e)") }
    }

    @Test("every hostile frame is refused with its reason at each honest neighbour, and the honest adapters equal a run with a silent fourth node bit for bit")
    func hostileNeighbourIsRefusedAndChangesNothing() throws {
        let h = try Harness()
        let ids = try (0..<4).map { try h.identity($0).nodeID }
        let me = ids[Self.hostile]
        let honest = (0..<3).map { ids[$0] }
        let neighbours = RoundSettings().neighbours.neighbours(of: me, alive: ids)
        try #require(neighbours.count == 2 && !neighbours.contains(me))

        let reference = try Self.run(h, label: "reference") { Self.silentFrames($0, me: me) }
        let genuine = Genuine()
        let attacked = try Self.run(h, label: "hostile") { Self.hostileFrames($0, me: me, honest: honest, genuine: genuine) }
        // The control: with the fourth node honest, its factors are mixed and every honest adapter
        // ends elsewhere, so bitwise equality above is a claim that can fail.
        let control = try Self.run(h, label: "control", rewrite: nil)
        for i in 0..<3 { #expect(control.final[i] != reference.final[i], "node \(i)") }

        for i in 0..<3 {
            let isNeighbour = neighbours.contains(ids[i])
            // Honest frames are all mixed; the fourth node's never: mixed = honest neighbours, in both runs.
            let expectedMixed = isNeighbour ? 1 : 2
            for run in [reference, attacked] {
                let lines = (run.lines[i] ?? []).prefix(Self.rounds)
                let ok = lines.map(\.round) == Array(1...UInt64(Self.rounds))
                    && lines.allSatisfy { $0.mixed == expectedMixed && $0.neighbours == 2 }
                if !ok { try Self.explain(run, node: i) }
                #expect(ok, "node \(i): every round mixes exactly its \(expectedMixed) honest neighbour(s)")
            }
            let exact = reference.final[i] == attacked.final[i]
            if !exact {
                for (name, run) in [("reference", reference), ("hostile", attacked)] {
                    print("\(name) run:")
                    for j in 0..<4 { try Self.explain(run, node: j) }
                }
                print("warnings: \(h.warnings.withLock { $0 })")
            }
            #expect(exact, "node \(i): final adapter bitwise equal to the reference run's")
            // Training moved it (the comparison is not between two untouched initial adapters).
            #expect(attacked.final[i] != attacked.initial[i])
        }

        let count = attacked.runtimes[0].exchanged.count
        #expect(count == attacked.runtimes[0].parameters.count, "the comparison covers the whole adapter")
        for i in 0..<3 where neighbours.contains(ids[i]) {
            let received = try NodeStore.openReadOnly(directory: attacked.directory(i)).exchanges(last: 100_000)
                .filter { $0.peer == me && $0.direction == .received }
            #expect(!received.contains { $0.accepted }, "node \(i) accepted a hostile frame")
            // Every hostile frame that reached the node is refused with its reason. Frames written to a
            // connection that a reconnect replaces can be lost (the forgeries close a connection every
            // round), and the later frames of the last round may come after the node stopped reading,
            // so each reason is required at least once over the run, not in every round.
            let reasons = received.compactMap(\.reason)
            let forgery = "connection closed by the transport: factors payload claims sender \(Self.impersonated(to: ids[i], honest: honest).short) on the connection of \(me.short)"
            #expect(reasons.count == received.count, "node \(i): a refusal without a reason")
            let expected = [
                "wrong tensors: layers.",  // a shape one value short
                "refused values: value 0 is not finite",  // NaN
                "refused values: value \(count - 1) is not finite",  // infinity
                "is over the bound",  // the 1000x norm
            ]
            // Each refused frame is logged once, with its refusal (not again as the round machine's drop).
            #expect(!reasons.contains("not mixed: unacceptable"), "node \(i): a refusal logged twice")
            for reason in expected {
                #expect(reasons.contains { $0.contains(reason) }, "node \(i): no refusal '\(reason)' in \(reasons)")
            }
            let known = expected + ["not mixed: conflicting", "not mixed: duplicate", "not mixed: stale", forgery]
            let unexplained = reasons.filter { reason in !known.contains { reason.contains($0) } }
            #expect(unexplained.isEmpty, "node \(i): refusals \(unexplained)")
            // The replays (valid values, a round two back) are dropped by the round machine as stale
            // (or conflicting, when the node had just finished that round): never accepted, above.
            // A stale copy is a replay (sent two rounds on) or comes from the hostile node's re-send
            // of its last two rounds on a new connection (the forgeries close one every round), which
            // its own store logs: a re-sent round r carries r's frames, its replay of r - 2 among them.
            let stale = received.filter { $0.reason == "not mixed: stale" }.map(\.round)
            let resent = Set(try NodeStore.openReadOnly(directory: attacked.directory(Self.hostile)).exchanges(last: 100_000)
                .filter { $0.peer == ids[i] && $0.direction == .sent && $0.reason == "sent on a new connection" }.map(\.round))
            print("node \(i): \(received.count) hostile frames refused, dropped as stale for rounds \(stale), re-sent on new connections: rounds \(resent.sorted())")
            #expect(stale.allSatisfy { old in received.contains { $0.round >= old + 2 } || resent.contains(old) || resent.contains(old + 2) }, "replays of rounds \(stale)")
            // The forged frames never reach the node: its transport refuses a payload whose sender is
            // not the TLS-verified peer and closes the connection (one per round, and frames written to
            // a connection that a reconnect replaces can be lost: at least one arrived).
            let forged = attacked.runtimes[i].transportStatistics.forgedSender
            let hostileRounds = received.map(\.round).max() ?? 0
            // ... and the node stores them with the transport's reason (round 0: never decoded); one
            // refused while the node was stopping is counted by the transport but may not be stored.
            let stored = received.filter { $0.reason?.hasPrefix(forgery) == true && $0.round == 0 }.count
            #expect(stored >= 1 && stored <= forged,
                    "node \(i): \(forged) forgeries refused by the transport, stored: \(reasons.filter { $0.hasPrefix(forgery) })")
            print("node \(i): forged frames refused by the transport: \(forged), node 3 heard up to round \(hostileRounds)")
            #expect(forged >= 1 && forged <= Int(hostileRounds) + 1, "node \(i) refused \(forged) forged frames")
        }
        let opposite = (0..<3).first { !neighbours.contains(ids[$0]) }!
        #expect(attacked.runtimes[opposite].transportStatistics.forgedSender == 0)
    }
}
