import SwarmBase
import Testing
@testable import Transport

@Suite("Hello check")
struct HelloCheckTests {
    static let a = NodeID(digest: Digest32(bytes: [UInt8](repeating: 1, count: 32))!)
    static let b = NodeID(digest: Digest32(bytes: [UInt8](repeating: 2, count: 32))!)
    static let local = Hello(nodeID: a, swarmID: "s", listenAddress: "x:1", coreHash: .zero, schemaHash: .zero)
    static let peer = Hello(nodeID: b, swarmID: "s", listenAddress: "y:2", coreHash: .zero, schemaHash: .zero)
    static let other = Digest32(bytes: [UInt8](repeating: 9, count: 32))!

    @Test("a matching hello is accepted")
    func accepts() {
        #expect(HelloCheck.validate(peer: Self.peer, local: Self.local, certifiedID: Self.b) == nil)
    }

    @Test("each mismatch maps to its reason code")
    func mismatches() {
        func code(_ edit: (inout Hello) -> Void, certified: NodeID = HelloCheckTests.b) -> ReasonCode? {
            var hello = Self.peer
            edit(&hello)
            return HelloCheck.validate(peer: hello, local: Self.local, certifiedID: certified)?.code
        }
        #expect(code { $0.version = Hello.currentVersion + 1 } == .versionMismatch)
        #expect(code({ _ in }, certified: Self.a) == .nodeIDMismatch)
        #expect(code({ $0.nodeID = Self.a }, certified: Self.a) == .unexpectedPeer)
        #expect(code { $0.swarmID = "t" } == .swarmMismatch)
        #expect(code { $0.coreHash = Self.other } == .coreHashMismatch)
        #expect(code { $0.schemaHash = Self.other } == .schemaMismatch)
    }
}
