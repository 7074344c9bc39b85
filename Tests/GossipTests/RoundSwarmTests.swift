import Foundation
import Consensus
import Gossip
import SwarmBase
import Testing

/// Several round machines wired by `RoundBus`, in virtual time.
@Suite("Gossip rounds in a swarm")
struct RoundSwarmTests {
    static let ms = RoundBus.millisecond

    static func settings(_ rule: NeighbourRule = .topology(.ring), deadline: Duration = .milliseconds(400)) -> RoundSettings {
        var settings = RoundSettings()
        settings.neighbours = rule
        settings.deadline = deadline
        return settings
    }

    static func values(_ count: Int, seed: UInt64, dimension: Int = 3) -> [[Double]] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in (0..<dimension).map { _ in random.nextDouble() * 10 - 5 } }
    }

    /// Every row sums to 1, weights are non-negative, and (when `doublyStochastic`) the matrix is
    /// symmetric with columns summing to 1.
    static func expectMixing(_ m: [[Double]], rows: [Int], doublyStochastic: Bool = true,
                             sourceLocation: SourceLocation = #_sourceLocation) {
        for i in rows {
            #expect(abs(RoundMatrix.rowSums(m)[i] - 1) < 1e-12, sourceLocation: sourceLocation)
            #expect(m[i].allSatisfy { $0 >= 0 }, sourceLocation: sourceLocation)
        }
        if doublyStochastic {
            #expect(RoundMatrix.asymmetry(m) == 0, sourceLocation: sourceLocation)
            for j in rows { #expect(abs(RoundMatrix.columnSums(m)[j] - 1) < 1e-12, sourceLocation: sourceLocation) }
        }
    }

    @Test("4 to 8 nodes on a ring (and regular-4, full) complete their rounds with the Metropolis matrix",
          arguments: [4, 5, 8])
    func ringCompletesRounds(count: Int) {
        for topology in [Topology.ring, .regular(k: 4), .full] {
            var bus = RoundBus(count: count, settings: Self.settings(.topology(topology)), values: Self.values(count, seed: 1),
                               stepMilliseconds: (0..<count).map { 80 + UInt64($0 * 13) })
            bus.startAll()
            bus.run(rounds: 6)
            let expected = MixingWeights(neighbours: topology.neighbours(count: count)).matrix
            for round in UInt64(1)...6 {
                let m = bus.matrix(round: round)
                Self.expectMixing(m, rows: Array(0..<count))
                for i in 0..<count { for j in 0..<count { #expect(abs(m[i][j] - expected[i][j]) < 1e-12) } }
            }
            #expect(bus.nodes.allSatisfy { $0.summaries.prefix(6).map(\.round) == Array(1...6) })
            let totals = bus.totals
            #expect(totals.late == 0 && totals.stale == 0 && totals.missed == 0 && totals.refused == 0)
        }
    }

    @Test("a slow link: the deadline returns the weight to self, and the late frame is counted, not mixed")
    func slowLink() {
        var bus = RoundBus(count: 5, settings: Self.settings(), values: Self.values(5, seed: 2))
        bus.slow[.init(from: 2, to: 3)] = 1_000 * Self.ms
        bus.startAll()
        bus.run(rounds: 3)
        let m = bus.matrix(round: 1)
        Self.expectMixing(m, rows: Array(0..<5), doublyStochastic: false)
        #expect(m[3][2] == 0 && m[2][3] == 1.0 / 3)
        #expect(m[3][3] == 1 - 1.0 / 3)
        #expect(bus.nodes[3].summaries[0].deadlineExpired && bus.nodes[3].summaries[0].counts.missed == 1)
        #expect(bus.nodes[3].dropped.contains { $0.reason == .late && $0.sender == RoundBus.id(2) })
        #expect(bus.nodes[3].machine.totals.late >= 1)
        // Every other row and column pair stays as the ring's.
        #expect(m[1][2] == m[2][1] && m[3][4] == m[4][3])
    }

    @Test("duplicated and replayed frames are counted and change nothing")
    func duplicatesAndReplays() {
        var plain = RoundBus(count: 6, settings: Self.settings(), values: Self.values(6, seed: 3))
        plain.startAll()
        plain.run(rounds: 4)
        var doubled = RoundBus(count: 6, settings: Self.settings(), values: Self.values(6, seed: 3))
        doubled.duplicateEverything = true
        doubled.startAll()
        doubled.run(rounds: 4)
        // Replays of round-1 frames after everyone moved on.
        for i in 0..<6 {
            doubled.deliver(to: i, from: (i + 1) % 6, round: 1, degree: 2,
                            digest: RoundBus.digest(sender: (i + 1) % 6, round: 1), value: [99, 99, 99])
        }
        for round in UInt64(1)...4 { #expect(plain.matrix(round: round) == doubled.matrix(round: round)) }
        #expect(zip(plain.nodes, doubled.nodes).allSatisfy { $0.value == $1.value })
        let totals = doubled.totals
        #expect(totals.duplicate >= 6 * 2 * 3)
        #expect(totals.stale == 6)
        #expect(totals.mixed == plain.totals.mixed)
    }

    @Test("a neighbour dying mid-round: the others stop waiting, keep its weight, then re-form the ring")
    func neighbourDies() {
        var bus = RoundBus(count: 6, settings: Self.settings(deadline: .seconds(5)), values: Self.values(6, seed: 4),
                           stepMilliseconds: [100, 100, 100, 100, 300, 100])
        bus.startAll()
        // Node 4 dies while its neighbours 3 and 5 wait for it in round 1; membership tells them 50 ms later.
        bus.run(until: 150 * Self.ms)
        bus.kill(4)
        for i in [0, 1, 2, 3, 5] { bus.schedule(.view(node: i, alive: [0, 1, 2, 3, 5]), at: 200 * Self.ms) }
        bus.run(rounds: 4)
        let m1 = bus.matrix(round: 1)
        #expect(m1[3][4] == 0 && m1[5][4] == 0)
        #expect(m1[3][3] == 1 - 1.0 / 3 && m1[5][5] == 1 - 1.0 / 3)
        #expect(bus.nodes[3].summaries[0].counts.departed == 1 && !bus.nodes[3].summaries[0].deadlineExpired)
        #expect(bus.nodes[3].summaries[0].waited < .milliseconds(150))
        // From round 2 the five survivors form a ring again, doubly stochastic.
        let survivors = [0, 1, 2, 3, 5]
        for round in UInt64(2)...4 {
            let m = bus.matrix(round: round)
            Self.expectMixing(m, rows: survivors)
            #expect(m[3][5] == 1.0 / 3 && m[4].allSatisfy { $0 == 0 })
        }
    }

    @Test("membership views differing briefly: carried degrees keep every pair's weights equal")
    func viewsDiffer() {
        // Full topology, so a member joining changes every degree: node 4 joins four nodes that learn
        // of it at different times.
        let settings = Self.settings(.topology(.full))
        var bus = RoundBus(count: 5, settings: settings, values: Self.values(5, seed: 5))
        for i in 0..<4 { bus.nodes[i].machine = GossipRound(id: RoundBus.id(i), settings: settings,
                                                              alive: (0..<4).map(RoundBus.id)) }
        bus.startAll()
        bus.schedule(.view(node: 0, alive: Array(0..<5)), at: 50 * Self.ms)
        bus.schedule(.view(node: 1, alive: Array(0..<5)), at: 700 * Self.ms)
        for i in [2, 3] { bus.schedule(.view(node: i, alive: Array(0..<5)), at: 1200 * Self.ms) }
        bus.run(rounds: 10)
        var sawDifferentDegrees = false
        for round in UInt64(1)...10 {
            let m = bus.matrix(round: round)
            let mixed = (0..<5).filter { i in bus.nodes[i].mixes.contains { $0.round == round } }
            Self.expectMixing(m, rows: mixed, doublyStochastic: false)
            for i in 0..<5 {
                for j in 0..<5 where i != j && m[i][j] > 0 {
                    if m[j][i] > 0 {
                        // Both ends mixed each other: the same weight, whatever their own views said.
                        #expect(m[i][j] == m[j][i])
                    } else {
                        // One end only: the other got the frame and reported why it did not mix it.
                        #expect(bus.nodes[j].dropped.contains {
                            $0.sender == RoundBus.id(i) && $0.round == round && [.late, .notNeighbour].contains($0.reason)
                        })
                    }
                }
            }
            for node in bus.nodes {
                if let mix = node.mixes.first(where: { $0.round == round }),
                   mix.neighbours.contains(where: { $0.degree != mix.degree }) { sawDifferentDegrees = true }
            }
        }
        #expect(sawDifferentDegrees)
        // Once every view agrees, the 5-node full graph's Metropolis matrix, doubly stochastic.
        let expected = MixingWeights(neighbours: Topology.full.neighbours(count: 5)).matrix
        #expect(bus.matrix(round: 10) == expected)
        Self.expectMixing(bus.matrix(round: 10), rows: Array(0..<5))
    }

    @Test("a node rejoining behind catches up with the swarm's round and mixes again")
    func rejoinBehind() {
        var bus = RoundBus(count: 5, settings: Self.settings(), values: Self.values(5, seed: 6))
        bus.startAll()
        bus.kill(2)
        for i in [0, 1, 3, 4] { bus.schedule(.view(node: i, alive: [0, 1, 3, 4]), at: 1) }
        bus.run(until: 2_000 * Self.ms)
        let swarmRound = bus.nodes[0].machine.round
        #expect(swarmRound >= 10)
        // Node 2 restarts from its persisted round 1; everyone sees it again.
        bus.nodes[2].machine = GossipRound(id: RoundBus.id(2), settings: Self.settings(), round: 1,
                                           alive: (0..<5).map(RoundBus.id))
        bus.nodes[2].running = true
        bus.nodes[2].summaries = []
        for i in [0, 1, 3, 4] { bus.schedule(.view(node: i, alive: Array(0..<5)), at: bus.now) }
        bus.start(2)
        bus.run(until: bus.now + 1_500 * Self.ms)
        let rejoined = bus.nodes[2]
        // Its first round (sent before it heard anyone) is not waited on, and it jumps straight to the
        // swarm's round instead of replaying rounds 2...swarmRound; from then on it mixes both neighbours.
        #expect(rejoined.summaries.count >= 4)
        #expect(rejoined.summaries[0].round == 1 && rejoined.summaries[0].nextRound >= swarmRound)
        #expect(rejoined.summaries[0].counts.passedBy == 2 && !rejoined.summaries[0].deadlineExpired)
        #expect(rejoined.sends.count >= 2 && rejoined.sends[1].round >= swarmRound)
        #expect(rejoined.summaries.dropFirst(2).allSatisfy { $0.counts.mixed == 2 && $0.round == $0.nextRound - 1 })
        // Its round-1 frames were stale at its neighbours, counted.
        #expect(bus.nodes[1].dropped.contains { $0.sender == RoundBus.id(2) && $0.round == 1 && $0.reason == .stale })
        let lastRound = rejoined.summaries.last!.round
        let m = bus.matrix(round: lastRound)
        Self.expectMixing(m, rows: Array(0..<5))
        #expect(m[2][1] == 1.0 / 3 && m[2][3] == 1.0 / 3)
    }

    @Test("a node rejoining ahead carries on alone until its neighbours reach its round; it does not pull them forward; rounds never go back")
    func rejoinAhead() {
        var bus = RoundBus(count: 5, settings: Self.settings(), values: Self.values(5, seed: 7))
        bus.nodes[0].machine = GossipRound(id: RoundBus.id(0), settings: Self.settings(), round: 30,
                                           alive: (0..<5).map(RoundBus.id))
        var settingsAhead = Self.settings()
        settingsAhead.maxRoundsAhead = 64
        for i in 1..<5 { bus.nodes[i].machine = GossipRound(id: RoundBus.id(i), settings: settingsAhead, round: 3,
                                                             alive: (0..<5).map(RoundBus.id)) }
        bus.startAll()
        bus.run(rounds: 40)
        for node in bus.nodes {
            let rounds = node.summaries.map(\.round)
            #expect(rounds == rounds.sorted() && Set(rounds).count == rounds.count)
            #expect(node.machine.round > 30)
        }
        // Nodes 1 to 4 ran their own rounds from 3 (node 0 alone ahead is not a majority of anyone's
        // two neighbours), not waiting for node 0, which mixed nobody until they reached its round.
        for i in 1..<5 {
            #expect(Array(bus.nodes[i].summaries.map(\.round).prefix(27)) == Array(3...29), "node \(i)")
        }
        #expect(bus.nodes[0].summaries.prefix(while: { $0.round < 40 }).contains { $0.counts.mixed == 0 })
        // Then all five mix the same rounds as a full ring again.
        let common = bus.nodes.map { Set($0.summaries.map(\.round)) }.reduce(Set(30...80)) { $0.intersection($1) }
        #expect(!common.isEmpty)
        if let round = common.max() { Self.expectMixing(bus.matrix(round: round), rows: Array(0..<5)) }
    }

    @Test("averaging with the produced weights contracts consensus distance by λ₂² per round (within 10%)",
          arguments: [Topology.ring, .regular(k: 4)])
    func contractionMatchesTheSecondEigenvalue(topology: Topology) {
        let count = 8, rounds = 12
        var bus = RoundBus(count: count, settings: Self.settings(.topology(topology)),
                           values: Self.values(count, seed: 8, dimension: 4))
        bus.startAll()
        var distances = [RoundMatrix.consensusDistance(bus.nodes.map(\.value))]
        for round in 1...rounds {
            bus.run(rounds: round)
            #expect(bus.nodes.allSatisfy { $0.mixes.count == round })
            distances.append(RoundMatrix.consensusDistance(bus.nodes.map(\.value)))
        }
        let m = bus.matrix(round: UInt64(rounds))
        Self.expectMixing(m, rows: Array(0..<count))
        let lambda = RoundMatrix.secondEigenvalueModulus(m)
        // The matrix is circulant, so its eigenvalues are Σ_j m_0j cos(2πjk/n): check the power iteration.
        let circulant = (1..<count).map { k in
            abs((0..<count).reduce(0.0) { $0 + m[0][$1] * cos(2 * Double.pi * Double($1 * k) / Double(count)) })
        }.max()!
        #expect(abs(lambda - circulant) < 1e-6)
        #expect(lambda > 0.1 && lambda < 1)
        let observed = distances[rounds] / distances[rounds - 1]
        #expect(abs(observed / (lambda * lambda) - 1) < 0.1, "observed \(observed), λ₂² \(lambda * lambda)")
        // And no round contracts by less than λ₂² (the spectral bound on the disagreement subspace).
        for r in 1...rounds { #expect(distances[r] <= lambda * lambda * distances[r - 1] * (1 + 1e-9)) }
    }
}
