import SwarmBase
import Foundation
import Gossip
import Testing
@testable import Transport

@Suite("Transport node over loopback TLS", .serialized)
struct TransportNodeTests {
    @Test("good peers exchange hello, membership, factors and bye both ways")
    func goodPeersExchangeFrames() throws {
        let swarm = try TestSwarm()
        let (a, aEvents, _) = try swarm.node("a")
        let (b, bEvents, bAddress) = try swarm.node("b")
        defer { a.stop(); b.stop() }
        try a.dial(bAddress, expecting: b.nodeID)
        let bAtA = try #require(aEvents.waitConnected())
        let aAtB = try #require(bEvents.waitConnected())
        #expect(bAtA.nodeID == b.nodeID)
        #expect(aAtB.nodeID == a.nodeID)
        #expect(bAtA.hello.listenAddress == bAddress)
        #expect(aAtB.direction == .inbound && bAtA.direction == .outbound)

        try a.send(.membership, [1, 2, 3], to: b.nodeID)
        try b.send(.membership, [9], to: a.nodeID)
        let tensor = try FactorTensor(name: "layers.0.q.lora_A", shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])
        let factors = FactorsMessage(round: 7, sender: a.nodeID, schemaHash: swarm.schema, tensors: [tensor])
        try a.send(.factors, try factors.encoded(), to: b.nodeID)
        try b.send(.factors, try FactorsMessage(round: 8, sender: b.nodeID, schemaHash: swarm.schema, tensors: [tensor]).encoded(), to: a.nodeID)

        #expect(bEvents.received { $0.kind == .membership && $0.body == [1, 2, 3] } != nil)
        #expect(aEvents.received { $0.kind == .membership && $0.body == [9] } != nil)
        #expect(bEvents.received { $0.kind == .factors && (try? FactorsMessage.decode($0.body, sender: $0.sender)) == factors } != nil)
        #expect(aEvents.received {
            guard $0.kind == .factors, let f = try? FactorsMessage.decode($0.body, sender: $0.sender) else { return false }
            return f.round == 8 && f.sender == b.nodeID
        } != nil)

        try a.disconnect(b.nodeID)
        #expect(bEvents.waitDisconnected() == .bye)
        #expect(aEvents.waitDisconnected() == .localClose)
    }
}
