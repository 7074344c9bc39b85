import SwarmBase
@testable import SwarmNode
import Testing
@testable import Transport

/// The address-to-connection bookkeeping, without sockets.
@Suite struct PeerRouterTests {
    private let peerA = NodeID(digest: Digest32(bytes: [UInt8](repeating: 0xA1, count: 32))!)
    private let peerB = NodeID(digest: Digest32(bytes: [UInt8](repeating: 0xB2, count: 32))!)

    private func info(_ id: NodeID, listen: String, remote: String, _ direction: ConnectionDirection,
                      connection: UInt64) -> PeerInfo {
        let hello = Hello(nodeID: id, swarmID: "s", listenAddress: listen, coreHash: .zero, schemaHash: .zero)
        return PeerInfo(nodeID: id, hello: hello, remoteAddress: remote, direction: direction, connectionID: connection)
    }

    @Test("messages wait for one dial per address and are flushed, in order, when the peer connects")
    func queuedUntilConnected() {
        var router = PeerRouter(maxPendingPerAddress: 3, dialTimeout: 1_000)
        #expect(router.route([1], to: "127.0.0.1:7000", now: 0) == .dial)
        #expect(router.route([2], to: "127.0.0.1:7000", now: 1) == .queued)
        #expect(router.route([3], to: "127.0.0.1:7000", now: 2) == .queued)
        #expect(router.route([4], to: "127.0.0.1:7000", now: 3) == .dropped)
        let flushed = router.connected(info(peerA, listen: "127.0.0.1:7000", remote: "127.0.0.1:7000", .outbound, connection: 1))
        #expect(flushed == [[1], [2], [3]])
        #expect(router.route([5], to: "127.0.0.1:7000", now: 4) == .send(peerA))
        #expect(router.nextDeadline == nil)
    }

    @Test("a seed dialed by name is reachable under both the dialed and the advertised address")
    func dialedNameAndListenAddress() {
        var router = PeerRouter(maxPendingPerAddress: 8, dialTimeout: 1_000)
        #expect(router.route([1], to: "localhost:7000", now: 0) == .dial)
        #expect(router.connected(info(peerA, listen: "127.0.0.1:7000", remote: "localhost:7000", .outbound, connection: 1)) == [[1]])
        #expect(router.route([2], to: "localhost:7000", now: 1) == .send(peerA))
        #expect(router.route([3], to: "127.0.0.1:7000", now: 1) == .send(peerA))
    }

    @Test("a failed or timed-out dial drops its messages; the next message dials again")
    func failedDialDrops() {
        var router = PeerRouter(maxPendingPerAddress: 8, dialTimeout: 100)
        #expect(router.route([1], to: "127.0.0.1:7001", now: 0) == .dial)
        #expect(router.route([2], to: "127.0.0.1:7001", now: 0) == .queued)
        let outcome = router.dialFailed("127.0.0.1:7001")
        #expect(outcome.dropped == 2 && outcome.redirect == nil)
        #expect(router.route([3], to: "127.0.0.1:7001", now: 10) == .dial)
        #expect(router.nextDeadline == 110)
        #expect(router.expire(now: 109) == 0)
        #expect(router.expire(now: 110) == 1)
        #expect(router.route([4], to: "127.0.0.1:7001", now: 111) == .dial)
    }

    @Test("when both sides dial at once, messages of the losing dial go over the surviving connection")
    func duplicateDialRedirects() {
        var router = PeerRouter(maxPendingPerAddress: 8, dialTimeout: 1_000)
        #expect(router.route([1], to: "127.0.0.1:7002", now: 0) == .dial)
        // The peer's own dial (inbound) arrives first and is kept; it carries its listen address.
        _ = router.connected(info(peerB, listen: "127.0.0.1:7003", remote: "127.0.0.1:51000", .inbound, connection: 1))
        // Unrelated address: nothing to redirect.
        #expect(router.dialFailed("127.0.0.1:7009").dropped == 0)
        #expect(router.route([2], to: "127.0.0.1:7003", now: 1) == .send(peerB))
        let flushed = router.connected(info(peerA, listen: "127.0.0.1:7002", remote: "127.0.0.1:52000", .inbound, connection: 2))
        #expect(flushed == [[1]])
    }

    @Test("a stale disconnect does not unmap the peer's newer connection")
    func staleDisconnectIgnored() {
        var router = PeerRouter(maxPendingPerAddress: 8, dialTimeout: 1_000)
        let old = info(peerA, listen: "127.0.0.1:7000", remote: "127.0.0.1:7000", .outbound, connection: 1)
        let new = info(peerA, listen: "127.0.0.1:7000", remote: "127.0.0.1:50000", .inbound, connection: 2)
        _ = router.connected(old)
        _ = router.connected(new)
        router.disconnected(old)
        #expect(router.route([1], to: "127.0.0.1:7000", now: 0) == .send(peerA))
        router.disconnected(new)
        #expect(router.route([2], to: "127.0.0.1:7000", now: 0) == .dial)
        #expect(router.connectedCount == 0)
    }
}
