import SwarmBase
import Synchronization
import Testing
@testable import Transport

@Suite("Plaintext tap")
struct PlaintextTapTests {
    @Test("the tap sees, in order, exactly the frames the peer decrypts: hello, every payload, bye")
    func tapSeesEveryFrame() throws {
        let swarm = try TestSwarm()
        let writes = Mutex<[PlaintextWrite]>([])
        var configuration = TestSwarm.quickConfiguration()
        configuration.plaintextTap = { write in writes.withLock { $0.append(write) } }
        let (a, _, _) = try swarm.node("a", configuration: configuration)
        let (b, bEvents, bAddress) = try swarm.node("b")
        defer { b.stop() }
        try a.dial(bAddress, expecting: b.nodeID)
        try #require(bEvents.waitConnected() != nil)

        // Sizes from a byte to several TLS records (partial SSL_writes), distinct contents.
        var rng = SeededRandom(seed: 3)
        let bodies = (0..<20).map { i in (0..<(1 + Int(rng.next() % 100_000))).map { _ in UInt8(truncatingIfNeeded: rng.next() ^ UInt64(i)) } }
        for body in bodies { try a.send(.factors, body, to: b.nodeID, timeout: .seconds(30)) }
        try #require(bEvents.wait(timeout: .seconds(60)) { _ in
            bEvents.all.filter { if case .received = $0 { return true }; return false }.count == bodies.count
        } != nil)
        a.stop()

        let tapped = writes.withLock { $0 }
        #expect(Set(tapped.map(\.connection)).count == 1)
        #expect(tapped.allSatisfy { $0.peer == b.nodeID })
        var decoder = FrameDecoder()
        decoder.feed(tapped.flatMap(\.bytes))
        var frames: [Frame] = []
        while let frame = try decoder.nextFrame() { frames.append(frame) }
        #expect(!decoder.isMidFrame)
        guard case .hello(let hello)? = frames.first else {
            Issue.record("the first tapped frame is not a hello: \(frames.first.map { "\($0.kind)" } ?? "none")")
            return
        }
        #expect(hello.nodeID == a.nodeID)
        let payloads = frames.compactMap { frame -> Payload? in if case .payload(let p) = frame { return p }; return nil }
        #expect(payloads == bodies.map { Payload(kind: .factors, sender: a.nodeID, body: $0) })
        #expect(frames.last?.kind == .bye)
    }
}
