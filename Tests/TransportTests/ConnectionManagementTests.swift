import SwarmBase
import Foundation
import Glibc
import Testing
@testable import Transport

@Suite("Connection management", .serialized)
struct ConnectionManagementTests {
    @Test("a peer that stops reading fills a bounded queue, then is dropped by the write timeout")
    func slowReaderBackpressure() throws {
        let swarm = try TestSwarm()
        var configuration = TestSwarm.quickConfiguration()
        configuration.maxFrameLength = 1 << 20
        configuration.maxQueuedBytesPerPeer = 4 << 20
        configuration.writeTimeout = .milliseconds(600)
        let (node, events, address) = try swarm.node("node", configuration: configuration)
        defer { node.stop() }
        let reader = try HostileInputTests.helloedClient(swarm, to: address)  // never reads again
        let peer = try #require(events.waitConnected()).nodeID
        let payload = [UInt8](repeating: 0xAB, count: (1 << 20) - 64)  // a whole frame within the limit
        var sent = 0
        var refused: (any Error)?
        while sent < 1000 {
            do {
                // Waiting a little lets the loop drain into kernel buffers; once those are full too,
                // the queue stays full and send gives up.
                try node.send(.membership, payload, to: peer, timeout: .milliseconds(200))
                sent += 1
            } catch {
                refused = error
                break
            }
            #expect(node.queuedBytes(for: peer) <= 4 << 20)
        }
        guard case .queueFull(let who, let queued, let limit)? = refused as? TransportError else {
            Issue.record("expected queueFull, got \(String(describing: refused)) after \(sent) frames")
            return
        }
        #expect(who == peer && queued <= limit && limit == 4 << 20)
        // Kernel socket buffers absorb several MiB; the queue must refuse long before 1000 frames.
        #expect(sent < 64)
        #expect(events.waitFailure(timeout: .seconds(5)) == .timeout(.write))
        _ = reader
    }

    @Test("a waiting send succeeds once the reader catches up")
    func sendWaitsForRoom() throws {
        let swarm = try TestSwarm()
        var configuration = TestSwarm.quickConfiguration()
        configuration.maxFrameLength = 1 << 20
        configuration.maxQueuedBytesPerPeer = 2 << 20
        let (a, aEvents, _) = try swarm.node("a", configuration: configuration)
        let (b, bEvents, address) = try swarm.node("b", configuration: configuration)
        defer { a.stop(); b.stop() }
        try a.dial(address, reconnect: false)
        #expect(aEvents.waitConnected() != nil && bEvents.waitConnected() != nil)
        let payload = [UInt8](repeating: 1, count: (1 << 20) - 64)  // a whole frame within the limit
        for _ in 0..<40 { try a.send(.membership, payload, to: b.nodeID, timeout: .seconds(5)) }
        #expect(bEvents.wait(timeout: .seconds(10)) { _ in
            bEvents.all.filter { if case .received = $0 { return true }; return false }.count == 40
        } != nil)
    }

    @Test("an idle connection is closed by the idle timeout, with a reason the peer sees")
    func idleTimeout() throws {
        let swarm = try TestSwarm()
        var configuration = TestSwarm.quickConfiguration()
        configuration.idleTimeout = .milliseconds(400)
        let (a, aEvents, _) = try swarm.node("a", configuration: configuration)
        let (b, bEvents, address) = try swarm.node("b")
        defer { a.stop(); b.stop() }
        try a.dial(address, reconnect: false)
        #expect(aEvents.waitConnected() != nil)
        #expect(aEvents.waitFailure(timeout: .seconds(3)) == .timeout(.idle))
        guard case .rejectedByPeer(let reason)? = bEvents.waitFailure(timeout: .seconds(3)) else {
            Issue.record("peer did not get the idle reason")
            return
        }
        #expect(reason.code == .timeout)
    }

    @Test("a persistent dial reconnects with backoff after the peer restarts")
    func reconnectAfterRestart() throws {
        let swarm = try TestSwarm()
        let (a, aEvents, _) = try swarm.node("a")
        let bIdentity = try swarm.ca.makeIdentity(name: "b")
        let (b1, _, address) = try swarm.node("b", identity: bIdentity)
        defer { a.stop() }
        try a.dial(address, expecting: bIdentity.nodeID)
        #expect(aEvents.waitConnected() != nil)
        b1.stop()
        #expect(aEvents.wait { if case .disconnected = $0 { return true }; return false } != nil)
        usleep(300_000)  // a few failed redials while nobody listens

        var configuration = TestSwarm.quickConfiguration()
        configuration.listenAddress = address
        let (b2, b2Events, _) = try swarm.node("b", identity: bIdentity, configuration: configuration)
        defer { b2.stop() }
        #expect(b2Events.waitConnected() != nil)
        #expect(aEvents.wait { _ in aEvents.connectedCount == 2 } != nil)
        #expect(a.statistics.dialed >= 3, "expected redials, got \(a.statistics.dialed)")
    }

    @Test("two nodes dialing each other at once keep exactly one connection")
    func simultaneousDial() throws {
        let swarm = try TestSwarm()
        let (a, aEvents, aAddress) = try swarm.node("a")
        let (b, bEvents, bAddress) = try swarm.node("b")
        defer { a.stop(); b.stop() }
        try a.dial(bAddress, expecting: b.nodeID)
        try b.dial(aAddress, expecting: a.nodeID)
        #expect(aEvents.waitConnected() != nil && bEvents.waitConnected() != nil)
        usleep(500_000)
        #expect(a.connectedPeers.count == 1 && b.connectedPeers.count == 1)
        try a.send(.membership, [5], to: b.nodeID)
        try b.send(.membership, [6], to: a.nodeID)
        #expect(bEvents.received { $0.kind == .membership && $0.body == [5] } != nil)
        #expect(aEvents.received { $0.kind == .membership && $0.body == [6] } != nil)
    }

    @Test("stop says bye to every peer")
    func stopSaysBye() throws {
        let swarm = try TestSwarm()
        let (a, aEvents, _) = try swarm.node("a")
        let (b, bEvents, address) = try swarm.node("b")
        defer { b.stop() }
        try a.dial(address, reconnect: false)
        #expect(aEvents.waitConnected() != nil && bEvents.waitConnected() != nil)
        a.stop()
        #expect(bEvents.waitDisconnected() == .bye)
        #expect(throws: TransportError.self) { try a.send(.membership, [1], to: b.nodeID) }
    }

    @Test("send refuses reserved kinds, oversized frames and unknown peers")
    func sendValidation() throws {
        let swarm = try TestSwarm()
        var configuration = TestSwarm.quickConfiguration()
        configuration.maxFrameLength = 4096
        configuration.maxQueuedBytesPerPeer = 8192
        let (a, _, _) = try swarm.node("a", configuration: configuration)
        defer { a.stop() }
        let stranger = try swarm.ca.makeIdentity(name: "x").nodeID
        #expect(throws: TransportError.reservedFrameKind(.bye)) { try a.send(.bye, to: stranger) }
        // The length counts the kind byte, the payload header (kind, sender) and the body.
        #expect(throws: TransportError.frameTooLarge(length: 1 + 33 + 5000, limit: 4096)) {
            try a.send(.membership, [UInt8](repeating: 0, count: 5000), to: stranger)
        }
        #expect(throws: TransportError.notConnected(stranger)) { try a.send(.membership, [1], to: stranger) }
    }
}
