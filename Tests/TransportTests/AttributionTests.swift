import SwarmBase
import Glibc
import Gossip
import Testing
@testable import Transport

@Suite("Attribution")
struct AttributionTests {
    @Test("factors claiming another sender are refused")
    func spoofedSender() throws {
        let swarm = try TestSwarm()
        let (node, events, address) = try swarm.node("node")
        defer { node.stop() }
        let client = try HostileInputTests.helloedClient(swarm, to: address)
        #expect(events.waitConnected() != nil)
        let tensor = try FactorTensor(name: "a", shape: [1], floats: [1])
        let factors = try FactorsMessage(round: 1, sender: node.nodeID, schemaHash: swarm.schema, tensors: [tensor]).encoded()
        // The client claims to be the node it talks to.
        client.write(try Frame.payload(Payload(kind: .factors, sender: node.nodeID, body: factors)).encoded())
        let (bytes, _, _) = client.readAll()
        #expect(reasonCode(in: bytes) == .protocolError)
        guard case .disconnected(_, .rejectedByUs(let reason))? = events.wait(timeout: .seconds(5), { if case .disconnected = $0 { return true }; return false }) else {
            Issue.record("node did not refuse the spoofed factors")
            return
        }
        #expect(reason.code == .protocolError)
        #expect(!events.all.contains { if case .received = $0 { return true }; return false })
        #expect(waitUntilForged(node, 1))
    }

    /// The statistics are published by the I/O thread: wait until they show `count` forgeries.
    private func waitUntilForged(_ node: TransportNode, _ count: Int) -> Bool {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            if node.statistics.forgedSender == count { return true }
            usleep(2_000)
        }
        return node.statistics.forgedSender == count
    }
}
