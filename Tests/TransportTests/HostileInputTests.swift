import SwarmBase
import Foundation
import Glibc
import Testing
@testable import Transport

/// Garbage, slow and flooding peers: the node closes them with a reason and keeps serving.
@Suite("Hostile input", .serialized)
struct HostileInputTests {
    /// A raw TLS client that completed TLS and a valid hello exchange with `node`.
    static func helloedClient(_ swarm: TestSwarm, to address: String) throws -> RawTLSClient {
        let identity = try swarm.ca.makeIdentity(name: "raw")
        let client = try RawTLSClient(connectingTo: address, identity: identity)
        let hello = Hello(nodeID: identity.nodeID, swarmID: swarm.swarmID, listenAddress: "",
                          coreHash: swarm.core, schemaHash: swarm.schema)
        client.write(try Frame.hello(hello).encoded())
        return client
    }

    static func protocolError(_ reason: CloseReason?) -> FrameError? {
        if case .protocolError(let error)? = reason { return error }
        return nil
    }

    /// A good peer can still connect and exchange a frame with `node`.
    static func servesGoodPeer(_ swarm: TestSwarm, _ node: TransportNode, _ events: EventRecorder, at address: String) throws -> Bool {
        let (peer, _, _) = try swarm.node("late-good-peer")
        defer { peer.stop() }
        try peer.dial(address, expecting: node.nodeID)
        // Retries while the node sheds leftovers of the attack (its handshake timeouts are short here).
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if (try? peer.send(.membership, [42], to: node.nodeID)) != nil,
               events.received(timeout: .seconds(1), { $0.kind == .membership && $0.body == [42] }) != nil {
                return true
            }
            usleep(50_000)
        }
        return false
    }

    @Test("random bytes after TLS are a protocol error; the node closes and still serves others")
    func randomBytes() throws {
        let swarm = try TestSwarm()
        let (node, events, address) = try swarm.node("node")
        defer { node.stop() }
        let client = try RawTLSClient(connectingTo: address, identity: swarm.ca.makeIdentity(name: "noise"))
        var random = SeededRandom(seed: 99)
        var garbage = (0..<65536).map { _ in UInt8.random(in: 0...255, using: &random) }
        garbage[4] = 0xEE  // whatever the length says, the kind is never valid
        client.write(garbage)
        let (bytes, closed, _) = client.readAll()
        #expect(closed)
        #expect(reasonCode(in: bytes) == .protocolError)
        #expect(Self.protocolError(events.waitFailure()) != nil)
        #expect(try Self.servesGoodPeer(swarm, node, events, at: address))
    }

    @Test("an oversized length prefix is refused without allocating it")
    func oversizedLength() throws {
        let swarm = try TestSwarm()
        let (node, events, address) = try swarm.node("node")
        defer { node.stop() }
        let client = try Self.helloedClient(swarm, to: address)
        #expect(events.waitConnected() != nil)
        client.write([0xFF, 0xFF, 0xFF, 0xFF, FrameKind.payload.rawValue])
        let (bytes, closed, _) = client.readAll()
        #expect(closed)
        #expect(reasonCode(in: bytes) == .protocolError)
        let error = try #require(Self.protocolError(events.waitFailure()))
        #expect(error == .frameTooLarge(length: 0xFFFF_FFFF, limit: Frame.defaultMaxLength))
    }

    @Test("before the hello is accepted, frames are limited to a few KiB")
    func largeFrameBeforeHello() throws {
        let swarm = try TestSwarm()
        let (node, events, address) = try swarm.node("node")
        defer { node.stop() }
        let client = try RawTLSClient(connectingTo: address, identity: swarm.ca.makeIdentity(name: "big"))
        client.write([0, 0, 1, 0, FrameKind.hello.rawValue])  // announces a 64 KiB hello
        let (bytes, closed, _) = client.readAll()
        #expect(closed)
        #expect(reasonCode(in: bytes) == .protocolError)
        #expect(Self.protocolError(events.waitFailure()) == .frameTooLarge(length: 65536, limit: ConnectionStateMachine.handshakeFrameLimit))
    }

    @Test("a truncated frame times out (read timeout) with a reason frame")
    func truncatedFrameTimesOut() throws {
        let swarm = try TestSwarm()
        var configuration = TestSwarm.quickConfiguration()
        configuration.readTimeout = .milliseconds(300)
        let (node, events, address) = try swarm.node("node", configuration: configuration)
        defer { node.stop() }
        let client = try Self.helloedClient(swarm, to: address)
        #expect(events.waitConnected() != nil)
        // Announces 100 bytes, sends 10.
        client.write([100, 0, 0, 0, FrameKind.payload.rawValue] + [UInt8](repeating: 1, count: 9))
        let start = ContinuousClock.now
        let (bytes, closed, _) = client.readAll()
        #expect(closed)
        #expect(ContinuousClock.now - start < .seconds(2))
        #expect(reasonCode(in: bytes) == .timeout)
        #expect(events.waitFailure() == .timeout(.read))
    }

    @Test("a frame whose payload is internally truncated is a protocol error")
    func truncatedPayload() throws {
        let swarm = try TestSwarm()
        let (node, events, address) = try swarm.node("node")
        defer { node.stop() }
        let client = try Self.helloedClient(swarm, to: address)
        #expect(events.waitConnected() != nil)
        // A factors payload frame whose length ends inside the sender id.
        client.write([9, 0, 0, 0, FrameKind.payload.rawValue, PayloadKind.factors.rawValue, 1, 0, 0, 0, 0, 0, 0])
        let (bytes, _, _) = client.readAll()
        #expect(reasonCode(in: bytes) == .protocolError)
        guard case .truncated(kind: .payload, field: "sender", _, _, _)? = Self.protocolError(events.waitFailure()) else {
            Issue.record("expected a truncated-payload error, got \(String(describing: events.waitFailure()))")
            return
        }
    }

    @Test("a client sending one byte a second is closed by the handshake timeout")
    func slowClient() throws {
        let swarm = try TestSwarm()
        var configuration = TestSwarm.quickConfiguration()
        configuration.handshakeTimeout = .milliseconds(800)
        let (node, events, address) = try swarm.node("node", configuration: configuration)
        defer { node.stop() }
        let client = try RawSocket(connectingTo: address, timeout: .seconds(1))
        // The start of a TLS ClientHello record, one byte per second.
        let start = ContinuousClock.now
        var closed = false
        for byte: UInt8 in [0x16, 0x03, 0x01, 0x02, 0x00] {
            if client.send([byte]) < 0 { closed = true; break }
            let (_, peerClosed) = client.readUntilClosed()  // waits up to 1 s
            if peerClosed { closed = true; break }
        }
        #expect(closed, "the node must hang up on a slow handshake")
        #expect(ContinuousClock.now - start < .seconds(3))
        #expect(events.waitFailure() == .timeout(.handshake))
    }

    @Test("a burst of 1,000 connects is shed within limits; the node then serves a good peer")
    func connectionBurst() throws {
        let swarm = try TestSwarm()
        var configuration = TestSwarm.quickConfiguration()
        configuration.maxConnections = 64
        configuration.maxConcurrentHandshakes = 32
        configuration.handshakeTimeout = .milliseconds(500)
        let (node, events, address) = try swarm.node("node", configuration: configuration)
        defer { node.stop() }
        let rssBefore = residentBytes()
        let resolved = try SocketAddress(parsing: address)
        var sockets = [Int32]()
        for _ in 0..<1000 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { continue }
            _ = resolved.withSockaddr { Glibc.connect(fd, $0, $1) }
            sockets.append(fd)
        }
        #expect(sockets.count == 1000)
        usleep(700_000)  // long enough for the handshake timeout to reap the ones admitted
        for fd in sockets { Glibc.close(fd) }

        #expect(try Self.servesGoodPeer(swarm, node, events, at: address))
        let statistics = node.statistics
        #expect(statistics.peakHandshakes <= 32)
        #expect(statistics.peakConnections <= 64)
        #expect(statistics.shed > 0)
        #expect(statistics.accepted >= 500)  // at least a full listen backlog; the rest may still be in SYN retry when closed
        let growth = residentBytes() - rssBefore
        #expect(growth < 64 << 20, "resident memory grew by \(growth >> 20) MiB")
    }

    private func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }
}
