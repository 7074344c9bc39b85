import SwarmBase
import Foundation
import Glibc
import Synchronization
import Testing
@testable import Transport

/// Frames accepted by `send` reach the peer, in order, across the connection changes a swarm sees
/// every day: two nodes dialing each other at once (one connection is closed as a duplicate while
/// both ends may already have written to it), and a node stopping right after its last send.
@Suite("Frame delivery", .serialized)
struct FrameDeliveryTests {
    /// Sends `count` numbered frames (4-byte big-endian index plus `padding` bytes) to `peer`,
    /// retrying a frame while the peer is briefly not connected (between a duplicate's close and the
    /// kept connection's establishment); a frame is counted as sent once `send` accepted it.
    static func sendNumbered(_ node: TransportNode, to peer: NodeID, count: Int, padding: Int) {
        for index in 0..<count {
            let body = withUnsafeBytes(of: UInt32(index).bigEndian, Array.init) + [UInt8](repeating: 0x5A, count: padding)
            let deadline = ContinuousClock.now + .seconds(10)
            while true {
                do {
                    try node.send(.membership, body, to: peer, timeout: .seconds(5))
                    break
                } catch {
                    if ContinuousClock.now > deadline { Issue.record("frame \(index) never accepted: \(error)"); return }
                    usleep(500)
                }
            }
        }
    }

    /// The indices of the numbered frames `events` received from `sender`, in arrival order.
    static func numbers(_ events: EventRecorder, from sender: NodeID) -> [Int] {
        events.all.compactMap { event in
            guard case .received(let payload, _) = event, payload.sender == sender, payload.body.count >= 4 else { return nil }
            return payload.body.prefix(4).reduce(0) { $0 << 8 | Int($1) }
        }
    }

    @Test("two nodes dialing each other at once deliver every frame either sent, in order, while the duplicate closes")
    func simultaneousDialLosesNoFrame() throws {
        let swarm = try TestSwarm()
        let count = 300
        for attempt in 0..<12 {
            let (a, aEvents, aAddress) = try swarm.node("a\(attempt)")
            let (b, bEvents, bAddress) = try swarm.node("b\(attempt)")
            defer { a.stop(); b.stop() }
            try a.dial(bAddress, expecting: b.nodeID)
            try b.dial(aAddress, expecting: a.nodeID)
            // Each starts its stream the moment its first connection is up, so frames are written to
            // whichever connection the race later closes.
            let done = Mutex(0)
            for (node, events, peer) in [(a, aEvents, b.nodeID), (b, bEvents, a.nodeID)] {
                Thread.detachNewThread {
                    _ = events.waitConnected()
                    Self.sendNumbered(node, to: peer, count: count, padding: 2000)
                    done.withLock { $0 += 1 }
                }
            }
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline,
                  Self.numbers(bEvents, from: a.nodeID).count < count || Self.numbers(aEvents, from: b.nodeID).count < count
                    || done.withLock({ $0 }) < 2 {
                usleep(5_000)
            }
            let atB = Self.numbers(bEvents, from: a.nodeID), atA = Self.numbers(aEvents, from: b.nodeID)
            #expect(atB == Array(0..<count), "attempt \(attempt): b got \(atB.count) of \(count) from a, first gap at \(Self.firstGap(atB))")
            #expect(atA == Array(0..<count), "attempt \(attempt): a got \(atA.count) of \(count) from b, first gap at \(Self.firstGap(atA))")
            // The duplicate closes on its own schedule: its close may still be in flight when the
            // last frame arrives (seen once in CI on a loaded machine: one node with 0 or 2 peers).
            let settled = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < settled, a.connectedPeers.count != 1 || b.connectedPeers.count != 1 {
                usleep(5_000)
            }
            #expect(a.connectedPeers.count == 1 && b.connectedPeers.count == 1,
                    "attempt \(attempt): a has \(a.connectedPeers.count) peers, b \(b.connectedPeers.count)")
            if atB != Array(0..<count) || atA != Array(0..<count) {
                print("a events: \(aEvents.all.filter { if case .received = $0 { return false }; return true })")
                print("b events: \(bEvents.all.filter { if case .received = $0 { return false }; return true })")
                print("a: \(a.statistics) peers \(a.connectedPeers)")
                print("b: \(b.statistics) peers \(b.connectedPeers)")
                return
            }
        }
    }

    @Test("a node that stops right after sending still delivers every frame it accepted, before its bye")
    func stopDeliversQueuedFrames() throws {
        let swarm = try TestSwarm()
        for attempt in 0..<5 {
            let (a, aEvents, _) = try swarm.node("a\(attempt)")
            let (b, bEvents, address) = try swarm.node("b\(attempt)")
            defer { b.stop() }
            try a.dial(address, reconnect: false)
            #expect(aEvents.waitConnected() != nil && bEvents.waitConnected() != nil)
            // 400 frames of 64 KiB (25 MiB): far more than the socket buffers hold, so many are still
            // queued when stop is called.
            Self.sendNumbered(a, to: b.nodeID, count: 400, padding: 64 << 10)
            a.stop()
            #expect(bEvents.waitDisconnected() == .bye)
            let got = Self.numbers(bEvents, from: a.nodeID)
            #expect(got == Array(0..<400), "attempt \(attempt): b got \(got.count) of 400 before the bye")
            if got != Array(0..<400) { return }
        }
    }

    static func firstGap(_ numbers: [Int]) -> Int? {
        numbers.enumerated().first { $0.offset != $0.element }?.offset
    }
}
