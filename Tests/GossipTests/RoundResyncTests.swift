import Consensus
import Gossip
import SwarmBase
import Testing

/// After a disturbance the ring falls back into step: no lasting phase offset in which every round
/// waits out the deadline for a neighbour whose frame always comes just too late.
@Suite("Gossip rounds fall back into step")
struct RoundResyncTests {
    static let ms = RoundBus.millisecond

    @Test("one 10 s straggle on a ring: misses ripple at most half way round, then every node mixes both neighbours in time",
          arguments: [4, 6, 8])
    func ringResynchronisesAfterAStraggler(count: Int) {
        var settings = RoundSettings()
        settings.neighbours = .topology(.ring)
        settings.deadline = .seconds(6)
        var bus = RoundBus(count: count, settings: settings, values: RoundSwarmTests.values(count, seed: 9),
                           stepMilliseconds: Array(repeating: 300, count: count))
        bus.startAll()
        bus.run(until: 1_000 * Self.ms)
        // Node 1's next local steps take 10 s (longer than the deadline), then 300 ms again.
        let straggle = bus.nodes[1].machine.round + 1
        bus.nodes[1].stepNanoseconds = 10_000 * Self.ms
        bus.run(until: bus.now + 1_000 * Self.ms)
        bus.nodes[1].stepNanoseconds = 300 * Self.ms
        bus.run(until: bus.now + 60_000 * Self.ms)
        // The straggle's effects ripple around the ring (each node misses at most a round), then stop.
        let lastMiss = bus.nodes.compactMap { node in node.summaries.last { $0.counts.missed > 0 }?.round }.max() ?? 0
        #expect(lastMiss > 0, "the straggle made someone miss a deadline")
        #expect(lastMiss <= straggle + UInt64(count / 2), "misses go on until round \(lastMiss), the straggle was in \(straggle)")
        for (i, node) in bus.nodes.enumerated() {
            let after = node.summaries.filter { $0.round > lastMiss }
            #expect(after.count >= 20, "node \(i) completed \(after.count) rounds after the ripple")
            #expect(after.allSatisfy { $0.counts.mixed == 2 && !$0.deadlineExpired }, "node \(i) out of step after round \(lastMiss)")
        }
    }
}
