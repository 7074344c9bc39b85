import Foundation
import SwarmBase
import Synchronization
import Testing
@testable import Transport

/// The link emulator on a live transport (TLS over 127.0.0.1): frames really wait, are really
/// dropped, and stay in order.
@Suite("Link emulation over TLS", .serialized)
struct LinkEmulationTests {
    /// When each numbered payload reached the receiver (ns on the monotonic clock), in arrival order.
    final class Arrivals: Sendable {
        let seen = Mutex<[(index: Int, at: UInt64)]>([])
        var all: [(index: Int, at: UInt64)] { seen.withLock { $0 } }
        var handler: @Sendable (TransportEvent) -> Void {
            { [self] event in
                guard case .received(let payload, _) = event, payload.body.count >= 4 else { return }
                let index = Int(payload.body[0]) | Int(payload.body[1]) << 8 | Int(payload.body[2]) << 16
                let at = MonotonicClock().now()
                seen.withLock { $0.append((index, at)) }
            }
        }
        func wait(for count: Int, seconds: Double) {
            let deadline = Date().addingTimeInterval(seconds)
            while all.count < count && Date() < deadline { usleep(5_000) }
        }
    }

    /// Sender `a` (with `emulation`) connected to receiver `b`, which records arrivals.
    func pair(_ emulation: LinkEmulation?) throws -> (TransportNode, TransportNode, Arrivals) {
        let swarm = try TestSwarm()
        var configuration = TestSwarm.quickConfiguration()
        configuration.linkEmulation = emulation
        let (a, aEvents, _) = try swarm.node("a", configuration: configuration)
        let arrivals = Arrivals()
        let b = try TransportNode(configuration: TestSwarm.quickConfiguration(), identity: swarm.ca.makeIdentity(name: "b"),
                                  swarmID: swarm.swarmID, coreHash: swarm.core, schemaHash: swarm.schema, handler: arrivals.handler)
        let bAddress = try b.start() ?? ""
        try a.dial(bAddress, expecting: b.nodeID)
        try #require(aEvents.waitConnected() != nil)
        return (a, b, arrivals)
    }

    static func body(_ index: Int, size: Int = 16) -> [UInt8] {
        var body = [UInt8](repeating: 0xAB, count: size)
        body[0] = UInt8(index & 0xFF); body[1] = UInt8(index >> 8 & 0xFF); body[2] = UInt8(index >> 16 & 0xFF)
        return body
    }

    @Test("latency 50 ms and loss 0.1: every frame that arrives waited at least 50 ms, about 10% never arrive, the rest in order")
    func latencyAndLoss() throws {
        let emulation = LinkEmulation(all: LinkConditions(latencyMilliseconds: 50, jitterMilliseconds: 10, loss: 0.1, bandwidthMegabits: nil), seed: 11)
        let (a, b, arrivals) = try pair(emulation)
        defer { a.stop(); b.stop() }
        let count = 400
        var sentAt: [UInt64] = []
        for i in 0..<count {
            sentAt.append(MonotonicClock().now())
            try a.send(.factors, Self.body(i), to: b.nodeID, timeout: .seconds(5))
            usleep(1_000)
        }
        // Every frame is due 60 ms after it was sent at the latest: wait well past that.
        arrivals.wait(for: count, seconds: 3)
        usleep(300_000)
        let got = arrivals.all
        let delays = got.map { Double($0.at - sentAt[$0.index]) / 1e6 }
        let lossRate = 1 - Double(got.count) / Double(count)
        let sorted = delays.sorted()
        print("link emulation: \(got.count)/\(count) arrived (loss \(lossRate)), one-way delay min \(sorted.first ?? 0) ms, median \(sorted[sorted.count / 2]) ms, max \(sorted.last ?? 0) ms")
        #expect(delays.allSatisfy { $0 >= 50 }, "a frame arrived sooner than the latency: \(sorted.first ?? 0) ms")
        // Binomial(400, 0.1): standard deviation 0.015.
        #expect(abs(lossRate - 0.1) < 0.06, "loss rate \(lossRate)")
        #expect(got.map(\.index) == got.map(\.index).sorted(), "frames overtook each other")
        #expect(sorted[sorted.count / 2] < 500)
        #expect(a.statistics.linkDropped == count - got.count)
    }

    @Test("bandwidth 8 Mbit/s: ten frames of 100 kB take about a second; changed at run time, loss 1 drops everything and nil restores the link")
    func bandwidthAndRunTimeChanges() throws {
        let emulation = LinkEmulation(all: LinkConditions(latencyMilliseconds: 0, jitterMilliseconds: 0, loss: 0, bandwidthMegabits: 8), seed: 2)
        let (a, b, arrivals) = try pair(emulation)
        defer { a.stop(); b.stop() }
        let start = MonotonicClock().now()
        for i in 0..<10 { try a.send(.factors, Self.body(i, size: 100_000), to: b.nodeID, timeout: .seconds(5)) }
        arrivals.wait(for: 10, seconds: 10)
        let got = arrivals.all
        try #require(got.count == 10)
        let seconds = Double(got.last!.at - start) / 1e9
        print("link emulation: 10 x 100 kB at 8 Mbit/s took \(seconds) s (about 0.1 s per frame on the link)")
        #expect(seconds >= 1.0 && seconds < 3.0, "\(seconds) s")

        // Frames sent after the call returns are emulated with the new conditions: no wait needed.
        a.setLinkEmulation(LinkEmulation(all: LinkConditions(latencyMilliseconds: 0, jitterMilliseconds: 0, loss: 1, bandwidthMegabits: nil), seed: 2))
        for i in 10..<30 { try a.send(.factors, Self.body(i), to: b.nodeID, timeout: .seconds(5)) }
        usleep(300_000)
        #expect(arrivals.all.count == 10)
        a.setLinkEmulation(nil)
        try a.send(.factors, Self.body(30), to: b.nodeID, timeout: .seconds(5))
        arrivals.wait(for: 11, seconds: 5)
        #expect(arrivals.all.map(\.index).suffix(1) == [30])
        #expect(a.statistics.linkDropped == 20)
    }

    @Test("a per-address override applies to that peer only")
    func perAddressOverride() throws {
        let swarm = try TestSwarm()
        let arrivals = Arrivals()
        let b = try TransportNode(configuration: TestSwarm.quickConfiguration(), identity: swarm.ca.makeIdentity(name: "b"),
                                  swarmID: swarm.swarmID, coreHash: swarm.core, schemaHash: swarm.schema, handler: arrivals.handler)
        let bAddress = try b.start() ?? ""
        var configuration = TestSwarm.quickConfiguration()
        configuration.linkEmulation = LinkEmulation(all: .ideal, byAddress: [bAddress: LinkConditions(latencyMilliseconds: 0, jitterMilliseconds: 0, loss: 1, bandwidthMegabits: nil)], seed: 1)
        let (a, aEvents, _) = try swarm.node("a", configuration: configuration)
        defer { a.stop(); b.stop() }
        try a.dial(bAddress, expecting: b.nodeID)
        try #require(aEvents.waitConnected() != nil)
        for i in 0..<10 { try a.send(.factors, Self.body(i), to: b.nodeID, timeout: .seconds(5)) }
        usleep(300_000)
        #expect(arrivals.all.isEmpty)
        #expect(LinkEmulation(all: .ideal, byAddress: [bAddress: .ideal], seed: 1).conditions(toAddress: "127.0.0.1:1") == .ideal)
    }
}
