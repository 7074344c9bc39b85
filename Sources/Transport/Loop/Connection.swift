import SwarmBase
import Glibc

/// One socket's protocol state. Owned and touched only by the event loop thread.
final class Connection {
    enum Phase: String {
        /// Non-blocking TCP connect in progress (outbound only).
        case connecting
        /// TLS handshake in progress.
        case tls
        /// TLS up, our hello sent, waiting for the peer's.
        case hello
        /// Hellos matched: frames flow both ways.
        case established
        /// Sending a last reason/bye, then close_notify, then waiting for the peer's close.
        case closing
    }

    /// Frame limit before the peer's hello is accepted.
    static let handshakeFrameLimit = 16 << 10

    let id: UInt64
    let fd: Int32
    let direction: ConnectionDirection
    let remoteAddress: String
    let dialTargetID: UInt64?
    let expectedPeer: NodeID?
    let openedAt: UInt64

    var phase: Phase
    var tls: TLSSession?
    var decoder: FrameDecoder
    var certifiedID: NodeID?
    var peer: PeerInfo?
    var closeReason: CloseReason?
    var closeDeadline: UInt64 = 0
    var shutdownSent = false
    var writeSideClosed = false

    /// Transport-made frames (hello, reason, bye), written before any queued data.
    var control: [[UInt8]] = []
    /// The buffer being written and how much of it is out.
    var current: [UInt8] = []
    var currentOffset = 0
    /// The shared outbox may hold frames for this connection.
    var outboxMayHaveMore = false
    /// An SSL_read asked for writability (TLS-level write needed before reading again).
    var readWantsWrite = false
    /// TLS holds decrypted bytes we have not read yet (read budget ran out).
    var readPending = false

    var lastRead: UInt64
    var lastWrite: UInt64
    /// When output started waiting (reset on every write progress); nil when nothing is pending.
    var writeWaitingSince: UInt64?

    init(id: UInt64, fd: Int32, direction: ConnectionDirection, remoteAddress: String, phase: Phase,
         dialTargetID: UInt64?, expectedPeer: NodeID?, maxFrameLength: Int, now: UInt64) {
        self.id = id
        self.fd = fd
        self.direction = direction
        self.remoteAddress = remoteAddress
        self.phase = phase
        self.dialTargetID = dialTargetID
        self.expectedPeer = expectedPeer
        // Until hellos match, nothing larger than a hello or reason is legitimate.
        self.decoder = FrameDecoder(maxFrameLength: min(maxFrameLength, Connection.handshakeFrameLimit))
        self.openedAt = now
        self.lastRead = now
        self.lastWrite = now
    }

    var isHandshaking: Bool { phase == .connecting || phase == .tls || phase == .hello }

    /// Frames still to encrypt (plaintext side).
    var hasFrameOutput: Bool { currentOffset < current.count || !control.isEmpty }

    /// Anything left to put on the socket, plaintext or already encrypted.
    var hasOutput: Bool { hasFrameOutput || (tls?.hasPendingOutput ?? false) }

    var attempt: ConnectionAttempt {
        ConnectionAttempt(remoteAddress: remoteAddress, direction: direction, connectionID: id, certifiedID: certifiedID)
    }

    /// Releases TLS, then the socket. Queued TLS output (such as an alert telling the peer why the
    /// handshake failed) gets one last non-blocking chance to go out.
    func release() {
        tls?.flushOutput()
        tls = nil
        close(fd)
    }
}
