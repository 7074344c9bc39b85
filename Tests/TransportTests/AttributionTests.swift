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
        client.write(try Frame.factors(Factors(round: 1, sender: node.nodeID, schemaHash: swarm.schema, tensors: [tensor])).encoded())
        let (bytes, _, _) = client.readAll()
        #expect(reasonCode(in: bytes) == .protocolError)
        guard case .disconnected(_, .rejectedByUs(let reason))? = events.wait(timeout: .seconds(5), { if case .disconnected = $0 { return true }; return false }) else {
            Issue.record("node did not refuse the spoofed factors")
            return
        }
        #expect(reason.code == .protocolError)
        #expect(!events.all.contains { if case .received = $0 { return true }; return false })
    }
}
