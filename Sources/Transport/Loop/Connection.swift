import SwarmBase
import Glibc

/// One socket of the event loop: its protocol state machine, TLS session, frame decoder and
/// output. Owned and touched only by the event loop thread.
final class Connection {
    let id: UInt64
    let fd: Int32
    let dialTargetID: UInt64?

    /// Phase, peer, close reason, timers (see `ConnectionStateMachine`).
    var machine: ConnectionStateMachine
    var tls: TLSSession?
    var decoder: FrameDecoder
    var output = OutputQueue()

    /// Payload frames the link emulator holds until their time (empty without emulation).
    var held = HeldFrames()
    /// The shared outbox may hold frames for this connection.
    var outboxMayHaveMore = false
    /// An SSL_read asked for writability (TLS-level write needed before reading again).
    var readWantsWrite = false
    /// TLS holds decrypted bytes we have not read yet (read budget ran out).
    var readPending = false
    /// The node is stopping: once the peer's outbox and the held frames are written, say bye.
    var byeWhenFlushed = false
    /// This connection ends as a duplicate and still delivers this peer's payloads (counted in the
    /// loop's `draining`, so the kept connection's are read after them).
    var drainsFor: NodeID?

    init(id: UInt64, fd: Int32, machine: ConnectionStateMachine, dialTargetID: UInt64?, maxFrameLength: Int) {
        self.id = id
        self.fd = fd
        self.machine = machine
        self.dialTargetID = dialTargetID
        // Until hellos match, nothing larger than a hello or reason is legitimate.
        self.decoder = FrameDecoder(maxFrameLength: min(maxFrameLength, ConnectionStateMachine.handshakeFrameLimit))
    }

    /// Input is not read while a duplicate connection to the same peer drains (`EventLoop.draining`).
    func readPaused(by draining: [NodeID: Int]) -> Bool {
        guard !draining.isEmpty, case .established(let peer) = machine.state else { return false }
        return draining[peer.nodeID] != nil
    }

    /// Anything left to put on the socket, plaintext or already encrypted.
    var hasOutput: Bool { output.hasFrames || (tls?.hasPendingOutput ?? false) }

    /// A frame held by the link emulator may be written at `now`.
    func heldDue(_ now: UInt64) -> Bool { held.nextRelease.map { $0 <= now } ?? false }

    var attempt: ConnectionAttempt {
        ConnectionAttempt(remoteAddress: machine.remoteAddress, direction: machine.direction, connectionID: id,
                          certifiedID: machine.certifiedID)
    }

    /// Releases TLS, then the socket. Queued TLS output (such as an alert telling the peer why the
    /// handshake failed) gets one last non-blocking chance to go out.
    func release() {
        tls?.flushOutput()
        tls = nil
        close(fd)
    }
}
