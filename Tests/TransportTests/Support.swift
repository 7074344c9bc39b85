import SwarmBase
import TestSupport
import Foundation
import Glibc
import Synchronization
@testable import Transport

/// Collects a node's events so tests can wait for the one they expect.
final class EventRecorder: Sendable {
    private let events = Mutex<[TransportEvent]>([])
    let name: String

    init(_ name: String) { self.name = name }

    var handler: @Sendable (TransportEvent) -> Void {
        { [self] event in events.withLock { $0.append(event) } }
    }

    var all: [TransportEvent] { events.withLock { $0 } }

    /// Polls until `predicate` matches an event or `timeout` passes.
    func wait(timeout: Duration = .seconds(5), _ predicate: (TransportEvent) -> Bool) -> TransportEvent? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let match = all.first(where: predicate) { return match }
            usleep(2_000)
        }
        return all.first(where: predicate)
    }

    func waitConnected(timeout: Duration = .seconds(10)) -> PeerInfo? {
        if case .connected(let peer)? = wait(timeout: timeout, { if case .connected = $0 { return true }; return false }) {
            return peer
        }
        return nil
    }

    /// The first refusal or disconnection, with its reason.
    func waitFailure(timeout: Duration = .seconds(10)) -> CloseReason? {
        let event = wait(timeout: timeout) { event in
            switch event {
            case .refused, .disconnected: return true
            default: return false
            }
        }
        switch event {
        case .refused(_, let reason)?: return reason
        case .disconnected(_, let reason)?: return reason
        default: return nil
        }
    }

    /// The reason of the first disconnection of an established peer.
    func waitDisconnected(timeout: Duration = .seconds(10)) -> CloseReason? {
        if case .disconnected(_, let reason)? = wait(timeout: timeout, { if case .disconnected = $0 { return true }; return false }) {
            return reason
        }
        return nil
    }

    func received(timeout: Duration = .seconds(5), _ predicate: (Payload) -> Bool) -> Payload? {
        if case .received(let payload, _)? = wait(timeout: timeout, { event in
            if case .received(let payload, _) = event { return predicate(payload) }
            return false
        }) { return payload }
        return nil
    }

    var connectedCount: Int {
        all.reduce(0) { count, event in if case .connected = event { return count + 1 }; return count }
    }
}

/// A swarm CA plus helpers to build nodes for it.
struct TestSwarm {
    let ca: SwarmCA
    let swarmID = "test-swarm"
    let core = Digest32(bytes: [UInt8](repeating: 0xC0, count: 32))!
    let schema = Digest32(bytes: [UInt8](repeating: 0x5C, count: 32))!

    init() throws {
        ca = try SwarmCA.ephemeral()
    }

    static func quickConfiguration() -> TransportConfiguration {
        var configuration = TransportConfiguration()
        configuration.handshakeTimeout = .seconds(3)
        configuration.closeLinger = .milliseconds(300)
        configuration.reconnect = Backoff(initial: .milliseconds(50), maximum: .milliseconds(400))
        return configuration
    }

    func node(_ name: String, identity: TLSIdentity? = nil, swarmID: String? = nil, core: Digest32? = nil,
              schema: Digest32? = nil, configuration: TransportConfiguration = quickConfiguration(),
              clock: any NanosecondClock = MonotonicClock()) throws -> (TransportNode, EventRecorder, String) {
        let recorder = EventRecorder(name)
        let node = try TransportNode(configuration: configuration, identity: identity ?? ca.makeIdentity(name: name),
                                     swarmID: swarmID ?? self.swarmID, coreHash: core ?? self.core,
                                     schemaHash: schema ?? self.schema, clock: clock, handler: recorder.handler)
        let address = try node.start() ?? ""
        return (node, recorder, address)
    }
}


