import Foundation
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

        try a.send(.membership([1, 2, 3]), to: b.nodeID)
        try b.send(.membership([9]), to: a.nodeID)
        let tensor = try FactorTensor(name: "layers.0.q.lora_A", shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])
        let factors = Factors(round: 7, sender: a.nodeID, schemaHash: swarm.schema, tensors: [tensor])
        try a.send(.factors(factors), to: b.nodeID)
        try b.send(.factors(Factors(round: 8, sender: b.nodeID, schemaHash: swarm.schema, tensors: [tensor])), to: a.nodeID)

        #expect(bEvents.received { $0 == .membership([1, 2, 3]) } != nil)
        #expect(aEvents.received { $0 == .membership([9]) } != nil)
        #expect(bEvents.received { $0 == .factors(factors) } != nil)
        #expect(aEvents.received { if case .factors(let f) = $0 { return f.round == 8 && f.sender == b.nodeID }; return false } != nil)

        try a.disconnect(b.nodeID)
        #expect(bEvents.waitDisconnected() == .bye)
        #expect(aEvents.waitDisconnected() == .localClose)
    }
}
