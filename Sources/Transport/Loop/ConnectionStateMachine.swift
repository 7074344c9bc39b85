import SwarmBase

/// The protocol state of one connection, as a value: the phase with the data that phase has (the
/// certified id once TLS verified the peer, the peer once hellos matched, the close reason and
/// linger deadline while closing), and when bytes last moved.
///
/// Each event is a `mutating func` returning what the event loop must do (send hello, deliver a
/// payload, refuse the peer, linger...). The machine does no I/O and reads no clock: time comes
/// in as an argument, so every transition, timeouts included, can be tested in virtual time.
struct ConnectionStateMachine {
    enum State {
        /// Non-blocking TCP connect in progress (outbound only).
        case connecting
        /// TLS handshake in progress.
        case tls
        /// TLS verified the peer's certificate (`certified` is its key's id); our hello is sent,
        /// the peer's is awaited.
        case hello(certified: NodeID)
        /// Hellos matched: payloads flow both ways.
        case established(PeerInfo)
        /// Sending a last reason or bye, then close_notify, then waiting for the peer's close.
        case closing(Ending)
        /// Released, or about to be: nothing more is sent or read.
        case closed(Ending)
    }

    /// Why and how a connection is ending, and what it was when it started to.
    struct Ending {
        var reason: CloseReason
        /// The peer, if the connection was established.
        var peer: PeerInfo?
        /// The certified id, if TLS got that far.
        var certified: NodeID?
        /// When lingering stops waiting for the peer's close.
        var deadline: UInt64 = 0
        var closeNotifySent = false
        var writeSideClosed = false
        /// Set when the connection ends as the duplicate of another to the same peer: the peer may
        /// have written payloads to it before it learned so, and those are still delivered (from
        /// this peer, who TLS verified) until its close. Nil for every other ending: once a
        /// connection is refused or broken, nothing more it carries is believed.
        var drainFrom: PeerInfo?
        /// Lingering this long past the last read while draining (a large frame still arriving).
        var linger: UInt64 = 0
    }

    /// Frame limit before the peer's hello is accepted.
    static let handshakeFrameLimit = 16 << 10

    private(set) var state: State
    let direction: ConnectionDirection
    let remoteAddress: String
    /// The node id a dial asked for; a certificate giving another one is refused.
    let expectedPeer: NodeID?
    let openedAt: UInt64
    private(set) var lastRead: UInt64
    private(set) var lastWrite: UInt64
    /// When output started waiting (reset on every write progress); nil when nothing is pending.
    private(set) var writeWaitingSince: UInt64?

    init(direction: ConnectionDirection, remoteAddress: String, connecting: Bool, expectedPeer: NodeID?, now: UInt64) {
        self.state = connecting ? .connecting : .tls
        self.direction = direction
        self.remoteAddress = remoteAddress
        self.expectedPeer = expectedPeer
        self.openedAt = now
        self.lastRead = now
        self.lastWrite = now
    }

    // MARK: - What the state says

    var isConnecting: Bool { if case .connecting = state { return true }; return false }
    var isInTLSHandshake: Bool { if case .tls = state { return true }; return false }
    var isClosing: Bool { if case .closing = state { return true }; return false }
    var isEstablished: Bool { if case .established = state { return true }; return false }

    /// While the connection ends as a duplicate: the peer whose payloads it still delivers.
    var drainingPeer: NodeID? {
        if case .closing(let ending) = state { return ending.drainFrom?.nodeID }
        return nil
    }

    /// TCP connect, TLS or hello still in progress.
    var isHandshaking: Bool {
        switch state {
        case .connecting, .tls, .hello: return true
        case .established, .closing, .closed: return false
        }
    }

    /// TLS is up and has not been shut down: frames can be sent.
    var canSendFrames: Bool {
        switch state {
        case .hello, .established, .closing: return true
        case .connecting, .tls, .closed: return false
        }
    }

    /// The established peer (kept while the connection ends).
    var peer: PeerInfo? {
        switch state {
        case .established(let peer): return peer
        case .closing(let ending), .closed(let ending): return ending.peer
        case .connecting, .tls, .hello: return nil
        }
    }

    /// The id TLS verified, once known.
    var certifiedID: NodeID? {
        switch state {
        case .hello(let certified): return certified
        case .established(let peer): return peer.nodeID
        case .closing(let ending), .closed(let ending): return ending.certified
        case .connecting, .tls: return nil
        }
    }

    /// Set once the connection started to end.
    var closeReason: CloseReason? {
        switch state {
        case .closing(let ending), .closed(let ending): return ending.reason
        case .connecting, .tls, .hello, .established: return nil
        }
    }

    // MARK: - Handshake

    /// The outbound TCP connect completed.
    mutating func connectCompleted() {
        if case .connecting = state { state = .tls }
    }

    enum HandshakeAction: Equatable {
        /// Send our hello and wait for the peer's.
        case sendHello
        /// Refuse the peer with this reason.
        case reject(Reason)
    }

    /// TLS verified the peer's certificate, whose key gives `peerID`.
    mutating func handshakeCompleted(peerID: NodeID) -> HandshakeAction {
        state = .hello(certified: peerID)
        if let expected = expectedPeer, expected != peerID {
            return .reject(Reason(.unexpectedPeer,
                "dialed \(remoteAddress) expecting node \(expected.hex), certificate says \(peerID.hex)"))
        }
        return .sendHello
    }

    /// Hellos matched (and the loop kept this connection over any duplicate): payloads may flow.
    mutating func established(_ peer: PeerInfo) {
        state = .established(peer)
    }

    // MARK: - Frames

    enum FrameAction: Equatable {
        /// Nothing to do (e.g. frames after we started closing).
        case ignore
        /// The peer's hello is acceptable: establish the connection.
        case establish(Hello, peerID: NodeID)
        /// Hand the payload to the layer above.
        case deliver(Payload, from: PeerInfo)
        /// Refuse the peer with this reason.
        case reject(Reason)
        /// A payload claimed a sender other than the verified peer: count it, refuse the peer.
        case forged(Reason)
        /// The peer refused us or ended with a reason frame.
        case closedByPeer(Reason)
        /// The peer said bye.
        case bye
        /// A frame that is not allowed now.
        case violation(FrameError)
    }

    /// Decides what a decoded frame means in the current state.
    func received(_ frame: Frame, local: Hello) -> FrameAction {
        switch state {
        case .closing(let ending):
            // Once closing, only the peer's close is of interest, except on a duplicate, whose
            // payloads written before the peer knew are still the peer's (same attribution rule).
            if let from = ending.drainFrom, case .payload(let payload) = frame, payload.sender == from.nodeID {
                return .deliver(payload, from: from)
            }
            return .ignore
        case .connecting, .tls, .closed:
            // Before TLS nothing is read.
            return .ignore
        case .hello(let certified):
            switch frame {
            case .hello(let hello):
                if let reason = HelloCheck.validate(peer: hello, local: local, certifiedID: certified) {
                    return .reject(reason)
                }
                return .establish(hello, peerID: certified)
            case .reason(let reason):
                return .closedByPeer(reason)
            case .payload, .bye:
                return .violation(.unexpectedFrame(kind: frame.kind, state: "waiting for hello"))
            }
        case .established(let peer):
            switch frame {
            case .payload(let payload):
                // The one attribution rule of every payload kind: a payload is from the key that
                // signed the TLS handshake, nobody else.
                guard payload.sender == peer.nodeID else {
                    return .forged(Reason(.protocolError,
                        "\(payload.kind) payload claims sender \(payload.sender.short) on the connection of \(peer.nodeID.short)"))
                }
                return .deliver(payload, from: peer)
            case .bye:
                return .bye
            case .reason(let reason):
                return .closedByPeer(reason)
            case .hello:
                return .violation(.unexpectedFrame(kind: .hello, state: "established"))
            }
        }
    }

    /// Decides what a frame that failed to decode means: a hello in a layout of another protocol
    /// version is a version mismatch (told to the peer), anything else a protocol violation.
    func undecodable(_ raw: RawFrame, _ error: FrameError, local: Hello) -> FrameAction {
        if case .hello = state, raw.kind == FrameKind.hello.rawValue,
           let version = Hello.peekVersion(raw.payload), version != local.version {
            return .reject(Reason(.versionMismatch,
                "protocol version \(version) is not supported (this node speaks \(local.version))"))
        }
        return .violation(error)
    }

    // MARK: - Closing

    enum CloseAction: Equatable {
        /// The connection was already ending: nothing to report.
        case alreadyEnding
        /// Report the end, then send `last` (if any) and close_notify, and linger for the peer.
        case linger(last: Frame?)
        /// Report the end, then release the connection at once.
        case release
    }

    /// Starts to end the connection. Graceful while TLS is up: the last frame (by default the
    /// rejection reason) goes out, then close_notify, and the peer gets `linger` to close.
    ///
    /// A connection ending as a duplicate (refused by either side with `duplicateConnection`) keeps
    /// delivering the peer's payloads while it lingers: from `drainFrom` when given (a connection
    /// refused right at its hello, which the peer may already have established and written to),
    /// else from the established peer.
    mutating func close(_ reason: CloseReason, send: Frame?, graceful: Bool, now: UInt64, linger: Duration,
                        drainFrom: PeerInfo? = nil) -> CloseAction {
        guard closeReason == nil else { return .alreadyEnding }
        var ending = Ending(reason: reason, peer: peer, certified: certifiedID)
        if reason.isDuplicate { ending.drainFrom = drainFrom ?? peer }
        var last = send
        if last == nil, case .rejectedByUs(let why) = reason { last = .reason(why) }
        let tlsUp: Bool
        switch state {
        case .hello, .established: tlsUp = true
        default: tlsUp = false
        }
        if graceful && tlsUp {
            ending.deadline = Deadline(after: linger, from: now).nanoseconds
            ending.linger = linger.nanoseconds
            state = .closing(ending)
            return .linger(last: last)
        }
        state = .closed(ending)
        return .release
    }

    /// The connection is being released. Returns true when it had not started to end (so the
    /// loop reports it as stopped).
    mutating func released() -> Bool {
        switch state {
        case .closing(let ending), .closed(let ending):
            state = .closed(ending)
            return false
        case .connecting, .tls, .hello, .established:
            state = .closed(Ending(reason: .stopped, peer: peer, certified: certifiedID))
            return true
        }
    }

    /// While closing, once every frame is encrypted: true exactly once, to queue close_notify.
    mutating func closeNotifyDue(hasFrameOutput: Bool) -> Bool {
        guard case .closing(var ending) = state, !hasFrameOutput, !ending.closeNotifySent else { return false }
        ending.closeNotifySent = true
        state = .closing(ending)
        return true
    }

    /// While closing, once close_notify is on the socket: true exactly once, to half-close it so
    /// the peer sees EOF.
    mutating func writeShutdownDue(tlsHasPendingOutput: Bool) -> Bool {
        guard case .closing(var ending) = state, ending.closeNotifySent, !tlsHasPendingOutput,
              !ending.writeSideClosed else { return false }
        ending.writeSideClosed = true
        state = .closing(ending)
        return true
    }

    // MARK: - Progress and timeouts

    /// Bytes arrived. A draining duplicate lingers on while they do (a large frame written to it
    /// before the peer knew may take longer than one linger to arrive).
    mutating func readProgress(now: UInt64) {
        lastRead = now
        if case .closing(var ending) = state, ending.drainFrom != nil {
            let (extended, overflow) = now.addingReportingOverflow(ending.linger)
            ending.deadline = max(ending.deadline, overflow ? .max : extended)
            state = .closing(ending)
        }
    }

    mutating func wrote(now: UInt64) {
        lastWrite = now
        writeWaitingSince = now
    }

    /// Output started waiting to go out.
    mutating func outputPending(now: UInt64) {
        if writeWaitingSince == nil { writeWaitingSince = now }
    }

    /// Everything queued is on the socket.
    mutating func outputDrained() { writeWaitingSince = nil }

    /// The timeout lengths, in nanoseconds.
    struct Timeouts: Equatable {
        var handshake: UInt64
        var idle: UInt64
        var read: UInt64
        var write: UInt64

        init(_ configuration: TransportConfiguration) {
            handshake = configuration.handshakeTimeout.nanoseconds
            idle = configuration.idleTimeout.nanoseconds
            read = configuration.readTimeout.nanoseconds
            write = configuration.writeTimeout.nanoseconds
        }
    }

    enum Expiry: Equatable {
        /// Lingering is over: release.
        case linger
        /// No hello in time; `graceful` when TLS is up (the peer is told why).
        case handshake(graceful: Bool)
        /// An established connection moved no bytes either way for too long.
        case idle
        /// A frame started arriving and stopped.
        case read
        /// Output stopped draining (the peer stopped reading).
        case write
    }

    /// The first deadline that has passed at `now`, else the earliest one still ahead (nil: none).
    func expiry(at now: UInt64, _ timeouts: Timeouts, midFrame: Bool, hasOutput: Bool) -> (expired: Expiry?, next: UInt64?) {
        var next: UInt64?
        func consider(_ deadline: UInt64) -> Bool {
            if now >= deadline { return true }
            next = min(next ?? deadline, deadline)
            return false
        }
        func after(_ start: UInt64, _ length: UInt64) -> UInt64 {
            let (sum, overflow) = start.addingReportingOverflow(length)
            return overflow ? .max : sum
        }
        switch state {
        case .closed:
            return (nil, nil)
        case .closing(let ending):
            if consider(ending.deadline) { return (.linger, nil) }
        case .connecting, .tls:
            if consider(after(openedAt, timeouts.handshake)) { return (.handshake(graceful: false), nil) }
        case .hello:
            if consider(after(openedAt, timeouts.handshake)) { return (.handshake(graceful: true), nil) }
        case .established:
            if consider(after(max(lastRead, lastWrite), timeouts.idle)) { return (.idle, nil) }
        }
        if midFrame && !isClosing, consider(after(lastRead, timeouts.read)) { return (.read, nil) }
        if let since = writeWaitingSince, hasOutput, consider(after(since, timeouts.write)) { return (.write, nil) }
        return (nil, next)
    }
}
