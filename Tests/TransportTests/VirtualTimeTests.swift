import SwarmBase
import Foundation
import Testing
@testable import Transport

/// A running node whose deadlines follow a `ManualClock`: timeouts fire when virtual time says so.
@Suite("Timeouts in virtual time")
struct VirtualTimeTests {
    @Test("a silent TCP client is closed by the handshake timeout only once the clock passes it")
    func handshakeTimeout() throws {
        let swarm = try TestSwarm()
        var configuration = TestSwarm.quickConfiguration()
        configuration.handshakeTimeout = .seconds(30)
        let clock = ManualClock(start: 1_000_000_000)
        let (node, events, address) = try swarm.node("node", configuration: configuration, clock: clock)
        defer { node.stop() }
        let client = try RawSocket(connectingTo: address)
        // Real time passes, virtual time does not: nothing expires.
        #expect(events.waitFailure(timeout: .milliseconds(400)) == nil)
        clock.advance(by: .seconds(29))
        #expect(events.waitFailure(timeout: .milliseconds(400)) == nil)
        clock.advance(by: .seconds(1))
        #expect(events.waitFailure(timeout: .seconds(5)) == .timeout(.handshake))
        _ = client
    }

    @Test("an established peer that stays silent is told and closed by the idle timeout")
    func idleTimeout() throws {
        let swarm = try TestSwarm()
        var configuration = TestSwarm.quickConfiguration()
        configuration.idleTimeout = .seconds(600)
        let clock = ManualClock()
        let (node, events, address) = try swarm.node("node", configuration: configuration, clock: clock)
        defer { node.stop() }
        let client = try HostileInputTests.helloedClient(swarm, to: address)
        #expect(events.waitConnected() != nil)
        #expect(events.waitFailure(timeout: .milliseconds(400)) == nil)
        clock.advance(by: .seconds(601))
        #expect(events.waitFailure(timeout: .seconds(5)) == .timeout(.idle))
        let (bytes, _, _) = client.readAll()
        #expect(reasonCode(in: bytes) == .timeout)
    }
}
