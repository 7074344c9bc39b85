import Scenario
import SwarmBase
import Testing
@testable import ScenarioRun

@Suite("virtual network") struct VirtualNetworkTests {
    static func network(_ all: LinkConditions, links: [NetworkSpec.LinkOverride] = []) -> VirtualNetwork {
        VirtualNetwork(spec: NetworkSpec(all: all, links: links), seed: 3)
    }

    @Test("nothing crosses a partition, traffic within a group does, and a heal reconnects")
    func partition() {
        var net = Self.network(.ideal)
        net.partition([[0, 1], [2, 3]])
        #expect(net.arrival(from: 0, to: 2, bytes: 10, now: 0) == nil)
        #expect(net.arrival(from: 3, to: 1, bytes: 10, now: 0) == nil)
        #expect(net.arrival(from: 0, to: 1, bytes: 10, now: 5) == 5)
        net.heal()
        #expect(net.arrival(from: 0, to: 2, bytes: 10, now: 7) == 7)
    }

    @Test("bandwidth serialises the frames of a link, then latency is added")
    func bandwidth() {
        var net = Self.network(LinkConditions(latencyMilliseconds: 10, jitterMilliseconds: 0, loss: 0, bandwidthMegabits: 8))
        // 1 MB at 8 Mbit/s: one second on the wire each.
        #expect(net.arrival(from: 0, to: 1, bytes: 1_000_000, now: 0) == 1_010_000_000)
        #expect(net.arrival(from: 0, to: 1, bytes: 1_000_000, now: 0) == 2_010_000_000)
        // Another link is not held up.
        #expect(net.arrival(from: 1, to: 0, bytes: 1_000_000, now: 0) == 1_010_000_000)
    }

    @Test("a link override applies to its direction only, and loss 1 loses every frame")
    func overrides() {
        let lossy = LinkConditions(latencyMilliseconds: 0, jitterMilliseconds: 0, loss: 1, bandwidthMegabits: nil)
        var net = Self.network(.ideal, links: [NetworkSpec.LinkOverride(from: 0, to: 1, conditions: lossy)])
        #expect((0..<20).allSatisfy { _ in net.arrival(from: 0, to: 1, bytes: 4, now: 0) == nil })
        #expect(net.arrival(from: 1, to: 0, bytes: 4, now: 0) == 0)
    }

    @Test("jitter stays within its bound and frames of one link arrive in the order sent")
    func jitterKeepsOrder() {
        var net = Self.network(LinkConditions(latencyMilliseconds: 5, jitterMilliseconds: 50, loss: 0, bandwidthMegabits: nil))
        var last: UInt64 = 0
        var spread = Set<UInt64>()
        for k in 0..<50 {
            let now = UInt64(k) * 1_000_000
            let at = net.arrival(from: 0, to: 1, bytes: 4, now: now)!
            #expect(at >= max(last, now + 5_000_000) && at <= max(last, now + 55_000_000))
            spread.insert(at - now)
            last = at
        }
        #expect(spread.count > 10)
    }
}
