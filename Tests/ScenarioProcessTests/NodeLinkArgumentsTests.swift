import Scenario
@testable import ScenarioProcess
import SwarmBase
import Testing

/// A scenario's network as each node process's link emulator flags.
@Suite("Node link arguments")
struct NodeLinkArgumentsTests {
    let address = { (i: Int) in "127.0.0.1:\(7000 + i)" }

    @Test("an ideal network gives no flags; every link's conditions and each override from the node become flags, overrides naming the peer's address")
    func mapping() throws {
        #expect(NodeArguments.links(NetworkSpec(all: .ideal, links: []), from: 0, seed: 1, address: address).isEmpty)
        let all = LinkConditions(latencyMilliseconds: 50, jitterMilliseconds: 5, loss: 0.02, bandwidthMegabits: 100)
        var slow = all
        slow.latencyMilliseconds = 120
        slow.loss = 0.1
        let network = NetworkSpec(all: all, links: [NetworkSpec.LinkOverride(from: 2, to: 3, conditions: slow),
                                                    NetworkSpec.LinkOverride(from: 3, to: 2, conditions: .ideal)])
        let two = NodeArguments.links(network, from: 2, seed: 9, address: address)
        #expect(Array(two.prefix(8)) == ["--link-latency-ms", "50.0", "--link-jitter-ms", "5.0", "--link-loss", "0.02", "--link-bandwidth-mbit", "100.0"])
        #expect(Array(two[8..<10]) == ["--link", "127.0.0.1:7003=latency-ms:120,loss:0.1"])
        #expect(two[10] == "--link-seed")
        // The node reads an override over its --link-* values: back to exactly the scenario's link.
        #expect(try LinkConditions(spec: "latency-ms:120,loss:0.1", over: all) == slow)
        let three = NodeArguments.links(network, from: 3, seed: 9, address: address)
        #expect(three.contains("127.0.0.1:7002=latency-ms:0,jitter-ms:0,loss:0"))
        #expect(three.last != two.last, "each node draws from its own seed")
        // Only an override: the node still gets its flags.
        let only = NetworkSpec(all: .ideal, links: [NetworkSpec.LinkOverride(from: 0, to: 1, conditions: slow)])
        #expect(NodeArguments.links(only, from: 0, seed: 1, address: address).contains("--link"))
        #expect(NodeArguments.links(only, from: 1, seed: 1, address: address).isEmpty)
    }
}
