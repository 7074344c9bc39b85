import SwarmBase
import Testing
@testable import Transport

/// The connection state machine alone, in virtual time: every timeout and decision without a socket.
@Suite("Connection state machine")
struct ConnectionStateMachineTests {
    static let second: UInt64 = 1_000_000_000
    static let local = NodeID(digest: Digest32(unchecked: [UInt8](repeating: 1, count: 32)))
    static let remote = NodeID(digest: Digest32(unchecked: [UInt8](repeating: 2, count: 32)))
    static let stranger = NodeID(digest: Digest32(unchecked: [UInt8](repeating: 3, count: 32)))
    static let core = Digest32(unchecked: [UInt8](repeating: 0xC0, count: 32))

    static var configuration: TransportConfiguration {
        var configuration = TransportConfiguration()
        configuration.handshakeTimeout = .seconds(10)
        configuration.idleTimeout = .seconds(120)
        configuration.readTimeout = .seconds(30)
        configuration.writeTimeout = .seconds(20)
        configuration.closeLinger = .seconds(1)
        return configuration
    }
    static let timeouts = ConnectionStateMachine.Timeouts(configuration)

    static func hello(_ id: NodeID) -> Hello {
        Hello(nodeID: id, swarmID: "s", listenAddress: "", coreHash: core, schemaHash: .zero)
    }

    static func machine(expecting: NodeID? = nil, at now: UInt64 = 0) -> ConnectionStateMachine {
        ConnectionStateMachine(direction: .outbound, remoteAddress: "10.0.0.2:7000", connecting: true,
                               expectedPeer: expecting, now: now)
    }

    /// A machine whose hellos matched at `now`.
    static func establishedMachine(at now: UInt64) -> ConnectionStateMachine {
        var machine = machine(at: now)
        machine.connectCompleted()
        let action = machine.handshakeCompleted(peerID: remote)
        #expect(action == .sendHello)
        guard case let .establish(hello, peerID) = machine.received(.hello(hello(remote)), local: hello(local)) else {
            Issue.record("a matching hello must establish")
            return machine
        }
        machine.established(PeerInfo(nodeID: peerID, hello: hello, remoteAddress: "10.0.0.2:7000",
                                     direction: .outbound, connectionID: 1))
        return machine
    }

    @Test("the handshake timeout fires exactly at its deadline, abruptly before TLS and with a reason after")
    func handshakeTimeout() {
        var machine = Self.machine(at: 5 * Self.second)
        let deadline = 15 * Self.second
        let early = machine.expiry(at: deadline - 1, Self.timeouts, midFrame: false, hasOutput: false)
        #expect(early.expired == nil && early.next == deadline)
        #expect(machine.expiry(at: deadline, Self.timeouts, midFrame: false, hasOutput: false).expired == .handshake(graceful: false))
        machine.connectCompleted()
        #expect(machine.isInTLSHandshake)
        _ = machine.handshakeCompleted(peerID: Self.remote)
        #expect(machine.isHandshaking && machine.certifiedID == Self.remote)
        #expect(machine.expiry(at: deadline, Self.timeouts, midFrame: false, hasOutput: false).expired == .handshake(graceful: true))
    }

    @Test("an established connection idles out from its last byte either way")
    func idleTimeout() {
        var machine = Self.establishedMachine(at: 0)
        #expect(!machine.isHandshaking && machine.peer?.nodeID == Self.remote)
        machine.readProgress(now: 50 * Self.second)
        let deadline = 170 * Self.second
        let early = machine.expiry(at: deadline - 1, Self.timeouts, midFrame: false, hasOutput: false)
        #expect(early.expired == nil && early.next == deadline)
        #expect(machine.expiry(at: deadline, Self.timeouts, midFrame: false, hasOutput: false).expired == .idle)
    }

    @Test("a frame that stops arriving and output that stops draining time out")
    func readAndWriteTimeouts() {
        var machine = Self.establishedMachine(at: 0)
        machine.readProgress(now: 10 * Self.second)
        #expect(machine.expiry(at: 40 * Self.second - 1, Self.timeouts, midFrame: true, hasOutput: false).next == 40 * Self.second)
        #expect(machine.expiry(at: 40 * Self.second, Self.timeouts, midFrame: true, hasOutput: false).expired == .read)
        #expect(machine.expiry(at: 40 * Self.second, Self.timeouts, midFrame: false, hasOutput: false).expired == nil)
        machine.outputPending(now: 12 * Self.second)
        machine.outputPending(now: 13 * Self.second)  // still waiting since 12 s
        #expect(machine.expiry(at: 32 * Self.second, Self.timeouts, midFrame: false, hasOutput: true).expired == .write)
        machine.wrote(now: 31 * Self.second)
        #expect(machine.expiry(at: 32 * Self.second, Self.timeouts, midFrame: false, hasOutput: true).expired == nil)
        machine.outputDrained()
        #expect(machine.expiry(at: 100 * Self.second, Self.timeouts, midFrame: false, hasOutput: true).expired == nil)
    }

    @Test("a graceful close lingers until its deadline; an abrupt one releases; a second close changes nothing")
    func closing() {
        var machine = Self.establishedMachine(at: 0)
        let reason = Reason(.protocolError, "bad")
        let first = machine.close(.rejectedByUs(reason), send: nil, graceful: true, now: 7 * Self.second,
                                  linger: Self.configuration.closeLinger)
        #expect(first == .linger(last: .reason(reason)))
        #expect(machine.isClosing && machine.peer?.nodeID == Self.remote && machine.closeReason == .rejectedByUs(reason))
        let second = machine.close(.localClose, send: .bye, graceful: true, now: 7 * Self.second, linger: .seconds(1))
        #expect(second == .alreadyEnding)
        #expect(machine.expiry(at: 8 * Self.second - 1, Self.timeouts, midFrame: true, hasOutput: false).expired == nil)
        #expect(machine.expiry(at: 8 * Self.second, Self.timeouts, midFrame: false, hasOutput: false).expired == .linger)
        let notify = [machine.closeNotifyDue(hasFrameOutput: true), machine.closeNotifyDue(hasFrameOutput: false),
                      machine.closeNotifyDue(hasFrameOutput: false)]
        #expect(notify == [false, true, false])
        let shutdown = [machine.writeShutdownDue(tlsHasPendingOutput: true), machine.writeShutdownDue(tlsHasPendingOutput: false),
                        machine.writeShutdownDue(tlsHasPendingOutput: false)]
        #expect(shutdown == [false, true, false])
        let wasRunning = machine.released()
        #expect(!wasRunning)

        var dialing = Self.machine()
        let abrupt = dialing.close(.connectFailed("refused"), send: nil, graceful: true, now: 0, linger: .seconds(1))
        #expect(abrupt == .release)
        #expect(dialing.expiry(at: .max, Self.timeouts, midFrame: true, hasOutput: true).expired == nil)
        var running = Self.establishedMachine(at: 0)
        let stopped = running.released()
        #expect(stopped && running.closeReason == .stopped)
    }

    @Test("a certificate other than the one dialed for, a bad hello and a forged payload are refused")
    func refusals() {
        var dialed = Self.machine(expecting: Self.stranger)
        dialed.connectCompleted()
        guard case .reject(let reason) = dialed.handshakeCompleted(peerID: Self.remote) else {
            Issue.record("an unexpected peer must be refused")
            return
        }
        #expect(reason.code == .unexpectedPeer)

        var hello = Self.machine()
        _ = hello.handshakeCompleted(peerID: Self.remote)
        guard case .reject(let mismatch) = hello.received(.hello(Self.hello(Self.stranger)), local: Self.hello(Self.local)) else {
            Issue.record("a hello claiming another id must be refused")
            return
        }
        #expect(mismatch.code == .nodeIDMismatch)
        let payloadFirst = Payload(kind: .membership, sender: Self.remote, body: [1])
        #expect(hello.received(.payload(payloadFirst), local: Self.hello(Self.local))
                == .violation(.unexpectedFrame(kind: .payload, state: "waiting for hello")))

        let machine = Self.establishedMachine(at: 0)
        let honest = Payload(kind: .factors, sender: Self.remote, body: [1, 2])
        guard case .deliver(honest, let peer) = machine.received(.payload(honest), local: Self.hello(Self.local)) else {
            Issue.record("the peer's own payload must be delivered")
            return
        }
        #expect(peer.nodeID == Self.remote)
        for kind in [PayloadKind.membership, .factors, PayloadKind(rawValue: 9)] {
            let forged = Payload(kind: kind, sender: Self.stranger, body: [1, 2])
            guard case .forged(let why) = machine.received(.payload(forged), local: Self.hello(Self.local)) else {
                Issue.record("a \(kind) payload with another sender must be refused")
                continue
            }
            #expect(why.code == .protocolError)
        }
        #expect(machine.received(.bye, local: Self.hello(Self.local)) == .bye)
        #expect(machine.received(.hello(Self.hello(Self.remote)), local: Self.hello(Self.local))
                == .violation(.unexpectedFrame(kind: .hello, state: "established")))
    }

    @Test("a connection closed as a duplicate delivers the peer's payloads until the peer's close; any other close delivers none")
    func duplicateDrains() {
        let local = Self.hello(Self.local)
        let honest = Payload(kind: .factors, sender: Self.remote, body: [7])
        let duplicate = Reason(.duplicateConnection, "already connected")
        for reason in [CloseReason.rejectedByUs(duplicate), .rejectedByPeer(duplicate)] {
            var machine = Self.establishedMachine(at: 0)
            _ = machine.close(reason, send: nil, graceful: true, now: Self.second, linger: .seconds(1))
            #expect(machine.drainingPeer == Self.remote, "\(reason)")
            guard case .deliver(honest, let from) = machine.received(.payload(honest), local: local) else {
                Issue.record("a payload on a draining duplicate must be delivered (\(reason))")
                continue
            }
            #expect(from.nodeID == Self.remote)
            // The attribution rule holds while draining; anything but a payload is only the close.
            let forged = Payload(kind: .factors, sender: Self.stranger, body: [7])
            #expect(machine.received(.payload(forged), local: local) == .ignore)
            #expect(machine.received(.bye, local: local) == .ignore)
        }
        for reason in [CloseReason.rejectedByUs(Reason(.protocolError, "bad")), .localClose, .stopped,
                       .rejectedByPeer(Reason(.timeout, "idle"))] {
            var machine = Self.establishedMachine(at: 0)
            _ = machine.close(reason, send: nil, graceful: true, now: Self.second, linger: .seconds(1))
            #expect(machine.drainingPeer == nil && machine.received(.payload(honest), local: local) == .ignore, "\(reason)")
        }
    }

    @Test("a duplicate refused at its hello drains from the peer the hello named")
    func duplicateRefusedAtHelloDrains() {
        var machine = Self.machine()
        machine.connectCompleted()
        _ = machine.handshakeCompleted(peerID: Self.remote)
        let info = PeerInfo(nodeID: Self.remote, hello: Self.hello(Self.remote), remoteAddress: "10.0.0.2:7000",
                            direction: .outbound, connectionID: 1)
        _ = machine.close(.rejectedByUs(Reason(.duplicateConnection, "x")), send: nil, graceful: true, now: 0,
                          linger: .seconds(1), drainFrom: info)
        #expect(machine.peer == nil && machine.drainingPeer == Self.remote)
        let honest = Payload(kind: .factors, sender: Self.remote, body: [1])
        #expect(machine.received(.payload(honest), local: Self.hello(Self.local)) == .deliver(honest, from: info))
    }

    @Test("a draining duplicate lingers on while bytes arrive, and ends one linger after the last")
    func drainingLingersWhileReading() {
        var machine = Self.establishedMachine(at: 0)
        _ = machine.close(.rejectedByPeer(Reason(.duplicateConnection, "x")), send: nil, graceful: true, now: 0,
                          linger: .seconds(1))
        machine.readProgress(now: Self.second / 2)
        machine.readProgress(now: Self.second + Self.second / 2)
        #expect(machine.expiry(at: 2 * Self.second + Self.second / 2 - 1, Self.timeouts, midFrame: true, hasOutput: false).expired == nil)
        #expect(machine.expiry(at: 2 * Self.second + Self.second / 2, Self.timeouts, midFrame: false, hasOutput: false).expired == .linger)
        var other = Self.establishedMachine(at: 0)
        _ = other.close(.localClose, send: .bye, graceful: true, now: 0, linger: .seconds(1))
        other.readProgress(now: Self.second / 2)
        #expect(other.expiry(at: Self.second, Self.timeouts, midFrame: false, hasOutput: false).expired == .linger)
    }
}
