import SwarmBase
import Glibc

/// The I/O driver of one `TransportNode`: a single thread multiplexing the listener and every
/// connection with poll(2) over non-blocking sockets and non-blocking TLS.
///
/// All connection state lives here and is touched only by this thread; API threads talk to it
/// through `NodeCore` (a Mutex-protected command list and send queues, plus a wake-up pipe).
final class EventLoop {
    private let configuration: TransportConfiguration
    private let core: NodeCore
    private let context: TLSContext
    private let listener: Int32?
    private let localHello: Hello
    private let handler: @Sendable (TransportEvent) -> Void

    private var connections: [UInt64: Connection] = [:]
    /// Established peer -> connection id.
    private var established: [NodeID: UInt64] = [:]
    private var targets: [UInt64: DialTarget] = [:]
    private var nextID: UInt64 = 1
    private var random = SystemRandomNumberGenerator()
    private var statistics = TransportStatistics()
    private var stopDeadline: UInt64?
    private var now: UInt64 = MonotonicClock.now()
    private var nextScan: UInt64 = 0
    private var nextPublish: UInt64 = 0
    private var acceptPausedUntil: UInt64 = 0
    /// Longest gap between timeout scans: a quarter of the shortest timeout, within 5...250 ms.
    private let scanInterval: UInt64

    /// Most bytes read from one connection per loop turn, so one busy peer cannot starve the others.
    private let readBudget = 8 << 20
    /// Small queued frames are coalesced into one TLS write up to this size.
    private let coalesceBudget = 256 << 10

    init(configuration: TransportConfiguration, core: NodeCore, context: TLSContext, listener: Int32?,
         localHello: Hello, handler: @escaping @Sendable (TransportEvent) -> Void) {
        self.configuration = configuration
        self.core = core
        self.context = context
        self.listener = listener
        self.localHello = localHello
        self.handler = handler
        let shortest = [configuration.handshakeTimeout, configuration.idleTimeout, configuration.readTimeout,
                        configuration.writeTimeout, configuration.closeLinger].map(\.nanoseconds).min() ?? 1_000_000_000
        scanInterval = min(250_000_000, max(5_000_000, shortest / 4))
    }

    // MARK: - Main loop

    func run() {
        // SIGPIPE from writing to a reset socket is thread-directed: block it on this thread only,
        // so the write fails with EPIPE instead of killing the process.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &set, nil)

        var pollSet = [pollfd]()
        var order = [UInt64]()
        while true {
            now = MonotonicClock.now()
            processCommands()
            if let deadline = stopDeadline, connections.isEmpty || now >= deadline { break }
            startDueDials()
            scanTimeoutsIfDue()
            let timeout = pollTimeout()

            pollSet.removeAll(keepingCapacity: true)
            order.removeAll(keepingCapacity: true)
            pollSet.append(pollfd(fd: core.wake.fd, events: Int16(POLLIN), revents: 0))
            let accepting = listener != nil && stopDeadline == nil && now >= acceptPausedUntil
            if let listener, accepting { pollSet.append(pollfd(fd: listener, events: Int16(POLLIN), revents: 0)) }
            var immediate = false
            for (id, connection) in connections {
                var events = Int16(POLLIN)
                if connection.phase == .connecting || connection.hasOutput || connection.readWantsWrite {
                    events |= Int16(POLLOUT)
                }
                if connection.readPending { immediate = true }
                pollSet.append(pollfd(fd: connection.fd, events: events, revents: 0))
                order.append(id)
            }
            if now >= nextPublish {
                publishStatistics()
                nextPublish = now + 20_000_000
            }
            let ready = poll(&pollSet, nfds_t(pollSet.count), immediate ? 0 : timeout)
            now = MonotonicClock.now()
            if ready < 0 && errno != EINTR { break }

            if pollSet[0].revents != 0 { core.wake.drain() }
            var index = 1
            if accepting {
                if pollSet[1].revents != 0 { acceptPending() }
                index = 2
            }
            pullDirtyOutboxes()
            for (offset, id) in order.enumerated() {
                guard let connection = connections[id] else { continue }
                let revents = pollSet[index + offset].revents
                if revents != 0 || connection.readPending || connection.hasOutput || connection.outboxMayHaveMore {
                    drive(connection, revents: revents)
                }
            }
        }
        shutdownAll()
    }

    private func shutdownAll() {
        for connection in connections.values {
            if connection.closeReason == nil { close(connection, .stopped, graceful: false) } else { finalize(connection) }
        }
        connections.removeAll()
        if let listener { Glibc.close(listener) }
        publishStatistics()
        core.state.withLock { $0.finished = true }
        core.finishGate.advance()
        core.spaceGate.advance()
    }

    // MARK: - Commands from API threads

    private func processCommands() {
        let (commands, stopping) = core.state.withLock { state in
            let taken = state.commands
            state.commands.removeAll()
            return (taken, state.stopping)
        }
        for command in commands {
            switch command {
            case .dial(let request):
                let id = makeID()
                targets[id] = DialTarget(id: id, request: request, backoff: configuration.reconnect,
                                         connectionID: nil, nextAttempt: now, knownPeer: request.expected)
            case .disconnect(let peer):
                if let id = established[peer], let connection = connections[id] {
                    close(connection, .localClose, send: .bye)
                }
            case .cancelDial(let address):
                targets = targets.filter { $0.value.request.address != address }
            }
        }
        if stopping && stopDeadline == nil {
            stopDeadline = now + configuration.closeLinger.nanoseconds
            targets.removeAll()
            for connection in Array(connections.values) where connection.closeReason == nil {
                close(connection, .stopped, send: connection.phase == .established ? .bye : nil)
            }
        }
    }

    private func makeID() -> UInt64 {
        defer { nextID += 1 }
        return nextID
    }

    // MARK: - Accept and dial

    private func acceptPending() {
        guard let listener else { return }
        for _ in 0..<256 {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                // Out of descriptors: the listener stays readable, so stop polling it for a moment
                // instead of spinning. (EAGAIN: nothing left to accept.)
                if errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM {
                    acceptPausedUntil = now + 100_000_000
                }
                return
            }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            statistics.accepted += 1
            let remote = SocketAddress(peerOf: fd)?.description ?? "unknown"
            let handshaking = connections.values.reduce(0) { $0 + ($1.isHandshaking ? 1 : 0) }
            var refusal: String?
            if connections.count >= configuration.maxConnections {
                refusal = "\(connections.count) connections open (limit \(configuration.maxConnections))"
            } else if handshaking >= configuration.maxConcurrentHandshakes {
                refusal = "\(handshaking) handshakes in progress (limit \(configuration.maxConcurrentHandshakes))"
            }
            if let refusal {
                // Shedding at accept keeps the backlog drained under a connection flood.
                Glibc.close(fd)
                statistics.shed += 1
                statistics.refused += 1
                emitLifecycle(.refused(ConnectionAttempt(remoteAddress: remote, direction: .inbound, connectionID: 0, certifiedID: nil),
                                 .overloaded(refusal)))
                continue
            }
            Socket.setNoDelay(fd)
            let connection = Connection(id: makeID(), fd: fd, direction: .inbound, remoteAddress: remote, phase: .tls,
                                        dialTargetID: nil, expectedPeer: nil,
                                        maxFrameLength: configuration.maxFrameLength, now: now)
            do throws(TransportError) {
                connection.tls = try TLSSession(context: context, fd: fd, isServer: true)
            } catch {
                Glibc.close(fd)
                emitLifecycle(.refused(connection.attempt, .tlsFailure(error.description)))
                continue
            }
            register(connection)
        }
    }

    private func register(_ connection: Connection) {
        connections[connection.id] = connection
        statistics.peakConnections = max(statistics.peakConnections, connections.count)
        let handshaking = connections.values.reduce(0) { $0 + ($1.isHandshaking ? 1 : 0) }
        statistics.peakHandshakes = max(statistics.peakHandshakes, handshaking)
    }

    private func startDueDials() {
        guard stopDeadline == nil else { return }
        for (id, target) in targets where target.connectionID == nil && now >= target.nextAttempt {
            if let known = target.knownPeer, established[known] != nil {
                // Already connected to that peer (perhaps it dialed us): check again later.
                targets[id]?.nextAttempt = now + configuration.reconnect.initial.nanoseconds * 5
                continue
            }
            if connections.count >= configuration.maxConnections {
                targets[id]?.nextAttempt = now + configuration.reconnect.initial.nanoseconds
                continue
            }
            statistics.dialed += 1
            let connectionID = makeID()
            do throws(TransportError) {
                let (fd, connected) = try Socket.connect(to: target.request.resolved)
                let connection = Connection(id: connectionID, fd: fd, direction: .outbound,
                                            remoteAddress: target.request.address,
                                            phase: connected ? .tls : .connecting, dialTargetID: id,
                                            expectedPeer: target.request.expected,
                                            maxFrameLength: configuration.maxFrameLength, now: now)
                do throws(TransportError) {
                    connection.tls = try TLSSession(context: context, fd: fd, isServer: false)
                } catch {
                    Glibc.close(fd)
                    throw error
                }
                targets[id]?.connectionID = connectionID
                register(connection)
                if connected { drive(connection, revents: Int16(POLLOUT)) }
            } catch {
                statistics.refused += 1
                emitLifecycle(.refused(ConnectionAttempt(remoteAddress: target.request.address, direction: .outbound,
                                                   connectionID: connectionID, certifiedID: nil),
                                 .connectFailed(error.description)))
                scheduleRedial(id, succeeded: false)
            }
        }
    }

    private func scheduleRedial(_ targetID: UInt64, succeeded: Bool) {
        guard var target = targets[targetID] else { return }
        target.connectionID = nil
        if !target.request.reconnect {
            targets[targetID] = nil
            return
        }
        if succeeded { target.backoff.reset() }
        target.nextAttempt = now + target.backoff.nextDelay(using: &random).nanoseconds
        targets[targetID] = target
    }

    // MARK: - Driving one connection

    private func drive(_ connection: Connection, revents: Int16) {
        if connection.phase == .connecting {
            guard revents & Int16(POLLOUT | POLLERR | POLLHUP) != 0 else { return }
            let error = Socket.pendingError(connection.fd)
            if error != 0 {
                close(connection, .connectFailed(String(cString: strerror(error))), graceful: false)
                return
            }
            connection.phase = .tls
        }
        if connection.phase == .tls {
            advanceHandshake(connection)
            guard connection.phase != .tls, connection.closeReason == nil || connection.phase == .closing else { return }
        }
        readAvailable(connection)
        guard connections[connection.id] != nil else { return }
        flush(connection)
        finishClosing(connection)
    }

    /// In the closing phase: once the last frame is encrypted, queue close_notify; once all of it
    /// is on the socket, half-close it so the peer sees EOF.
    private func finishClosing(_ connection: Connection) {
        guard connection.phase == .closing, connections[connection.id] != nil, let tls = connection.tls else { return }
        if !connection.hasFrameOutput && !connection.shutdownSent {
            connection.shutdownSent = true
            tls.shutdown()
        }
        if connection.shutdownSent && !tls.hasPendingOutput && !connection.writeSideClosed {
            connection.writeSideClosed = true
            Glibc.shutdown(connection.fd, Int32(SHUT_WR))
        }
    }

    private func advanceHandshake(_ connection: Connection) {
        guard let tls = connection.tls else { return }
        switch tls.handshake() {
        case .done:
            do {
                let peerID = try tls.verifiedPeerID()
                connection.certifiedID = peerID
                if let target = connection.dialTargetID { targets[target]?.knownPeer = peerID }
                connection.phase = .hello
                connection.control.append(encode(.hello(localHello)))
                if let expected = connection.expectedPeer, expected != peerID {
                    close(connection, .rejectedByUs(Reason(.unexpectedPeer,
                        "dialed \(connection.remoteAddress) expecting node \(expected.hex), certificate says \(peerID.hex)")))
                }
            } catch {
                close(connection, .tlsFailure(error.description), graceful: false)
            }
        case .wantRead, .wantWrite:
            break
        case .closed:
            close(connection, .tlsFailure("TLS handshake: connection closed by peer"), graceful: false)
        case .failed(let detail):
            close(connection, .tlsFailure(detail), graceful: false)
        }
    }

    private func readAvailable(_ connection: Connection) {
        guard let tls = connection.tls else { return }
        connection.readPending = false
        connection.readWantsWrite = false
        var total = 0
        while connections[connection.id] != nil {
            if total >= readBudget {
                connection.readPending = true
                return
            }
            var status = TLSStatus.wantRead
            // Decrypt straight into the decoder's buffer.
            _ = connection.decoder.fill(upTo: configuration.receiveChunk) { room in
                status = tls.read(into: room)
                if case .done(let count) = status { return count }
                return 0
            }
            switch status {
            case .done(let count):
                total += count
                connection.lastRead = now
                statistics.bytesReceived += count
                processFrames(connection)
            case .wantRead:
                return
            case .wantWrite:
                connection.readWantsWrite = true
                return
            case .closed:
                if connection.closeReason != nil { finalize(connection) } else { close(connection, .peerClosed, graceful: false) }
                return
            case .failed(let detail):
                if connection.closeReason != nil {
                    finalize(connection)
                } else {
                    close(connection, .tlsFailure(detail), graceful: false)
                }
                return
            }
        }
    }

    private func processFrames(_ connection: Connection) {
        while connections[connection.id] != nil {
            let raw: RawFrame
            do {
                guard let next = try connection.decoder.nextRawFrame() else { return }
                raw = next
            } catch {
                protocolViolation(connection, error)
                return
            }
            statistics.framesReceived += 1
            let frame: Frame
            do {
                frame = try raw.decode()
            } catch {
                if connection.phase == .hello, raw.kind == FrameKind.hello.rawValue,
                   let version = Hello.peekVersion(raw.payload), version != localHello.version {
                    close(connection, .rejectedByUs(Reason(.versionMismatch,
                        "protocol version \(version) is not supported (this node speaks \(localHello.version))")))
                } else {
                    protocolViolation(connection, error)
                }
                return
            }
            handle(frame, on: connection)
        }
    }

    private func protocolViolation(_ connection: Connection, _ error: FrameError) {
        guard connection.closeReason == nil else {
            finalize(connection)
            return
        }
        close(connection, .protocolError(error), send: .reason(Reason(.protocolError, error.description)))
    }

    private func handle(_ frame: Frame, on connection: Connection) {
        switch connection.phase {
        case .closing:
            // Only the peer's own reason is of interest now; it is already closing too.
            return
        case .hello:
            switch frame {
            case .hello(let hello):
                guard let certified = connection.certifiedID else { return }
                if let reason = HelloCheck.validate(peer: hello, local: localHello, certifiedID: certified) {
                    close(connection, .rejectedByUs(reason))
                } else {
                    establish(connection, hello: hello, peerID: certified)
                }
            case .reason(let reason):
                close(connection, .rejectedByPeer(reason), send: nil)
            default:
                protocolViolation(connection, .unexpectedFrame(kind: frame.kind, state: "waiting for hello"))
            }
        case .established:
            guard let peer = connection.peer else { return }
            switch frame {
            case .payload(let payload):
                // The one attribution rule of every payload kind: a payload is from the key that
                // signed the TLS handshake, nobody else.
                guard payload.sender == peer.nodeID else {
                    statistics.forgedSender += 1
                    close(connection, .rejectedByUs(Reason(.protocolError,
                        "\(payload.kind) payload claims sender \(payload.sender.short) on the connection of \(peer.nodeID.short)")))
                    return
                }
                handler(.received(payload, from: peer))
            case .bye:
                close(connection, .bye, send: nil)
            case .reason(let reason):
                close(connection, .rejectedByPeer(reason), send: nil)
            case .hello:
                protocolViolation(connection, .unexpectedFrame(kind: .hello, state: "established"))
            }
        case .connecting, .tls:
            return
        }
    }

    private func establish(_ connection: Connection, hello: Hello, peerID: NodeID) {
        if let otherID = established[peerID], otherID != connection.id, let other = connections[otherID] {
            // Two connections to one peer (both dialed at once, or a reconnect racing the old one).
            // Both sides keep the one opened by the smaller node id; for equal openers, the newer.
            let local = localHello.nodeID
            let newOpener = connection.direction == .outbound ? local : peerID
            let oldOpener = other.direction == .outbound ? local : peerID
            let keepNew = newOpener == oldOpener || newOpener == min(local, peerID)
            let duplicate = Reason(.duplicateConnection, "already connected to \(peerID.short)")
            if keepNew {
                close(other, .rejectedByUs(duplicate))
            } else {
                close(connection, .rejectedByUs(duplicate))
                return
            }
        }
        let info = PeerInfo(nodeID: peerID, hello: hello, remoteAddress: connection.remoteAddress,
                            direction: connection.direction, connectionID: connection.id)
        connection.peer = info
        connection.phase = .established
        connection.decoder.maxFrameLength = configuration.maxFrameLength
        established[peerID] = connection.id
        core.state.withLock { $0.peers[peerID] = SharedState.PeerEntry(info: info) }
        statistics.established += 1
        if let target = connection.dialTargetID { targets[target]?.backoff.reset() }
        emitLifecycle(.connected(info))
    }

    // MARK: - Output

    private func encode(_ frame: Frame) -> [UInt8] {
        // Transport-made frames are built from validated values; an encoding failure is a bug,
        // reported to the peer as an empty bye rather than a crash.
        (try? frame.encoded()) ?? [1, 0, 0, 0, FrameKind.bye.rawValue]
    }

    private func pullDirtyOutboxes() {
        let dirty: Set<NodeID> = core.state.withLock { state in
            let taken = state.dirty
            state.dirty.removeAll(keepingCapacity: true)
            return taken
        }
        for peer in dirty {
            if let id = established[peer], let connection = connections[id] { connection.outboxMayHaveMore = true }
        }
    }

    /// Refills `current` from control frames, then from the peer's outbox.
    private func refill(_ connection: Connection) -> Bool {
        if !connection.control.isEmpty {
            connection.current = connection.control.removeFirst()
            connection.currentOffset = 0
            return true
        }
        guard connection.phase == .established, connection.outboxMayHaveMore, let peer = connection.peer else { return false }
        let (frames, wakeSenders) = core.state.withLock { state -> ([[UInt8]], Bool) in
            guard state.peers[peer.nodeID]?.info.connectionID == connection.id else { return ([], false) }
            let frames = state.peers[peer.nodeID]?.outbox.pop(budget: coalesceBudget) ?? []
            return (frames, state.waitingSenders > 0 && !frames.isEmpty)
        }
        if wakeSenders { core.spaceGate.advance() }
        guard !frames.isEmpty else {
            connection.outboxMayHaveMore = false
            return false
        }
        statistics.framesSent += frames.count
        if frames.count == 1 {
            connection.current = frames[0]
        } else {
            var joined = [UInt8]()
            joined.reserveCapacity(frames.reduce(0) { $0 + $1.count })
            for frame in frames { joined.append(contentsOf: frame) }
            connection.current = joined
        }
        connection.currentOffset = 0
        return true
    }

    private func flush(_ connection: Connection) {
        guard let tls = connection.tls, connection.phase != .connecting, connection.phase != .tls else { return }
        while connections[connection.id] != nil {
            if connection.currentOffset >= connection.current.count {
                guard refill(connection) else {
                    switch tls.flushOutput() {
                    case .done:
                        connection.writeWaitingSince = nil
                    case .failed(let detail):
                        if connection.closeReason != nil { finalize(connection) } else { close(connection, .ioError(detail), graceful: false) }
                    default:
                        break
                    }
                    return
                }
                if connection.writeWaitingSince == nil { connection.writeWaitingSince = now }
            }
            let status = connection.current.withUnsafeBytes { bytes in
                tls.write(UnsafeRawBufferPointer(rebasing: bytes[connection.currentOffset...]))
            }
            switch status {
            case .done(let count):
                connection.currentOffset += count
                connection.lastWrite = now
                connection.writeWaitingSince = now
                statistics.bytesSent += count
                if connection.currentOffset >= connection.current.count {
                    connection.current = []
                    connection.currentOffset = 0
                }
            case .wantWrite, .wantRead:
                return
            case .closed:
                if connection.closeReason != nil { finalize(connection) } else { close(connection, .peerClosed, graceful: false) }
                return
            case .failed(let detail):
                if connection.closeReason != nil { finalize(connection) } else { close(connection, .ioError(detail), graceful: false) }
                return
            }
        }
    }

    // MARK: - Timeouts

    private enum Expiry {
        case linger, handshake(Connection.Phase), idle, read, write
    }

    /// Closes connections whose deadlines passed. O(connections), so it runs only when the earliest
    /// known deadline is due, and at least every `scanInterval` (which bounds how late a timeout fires).
    private func scanTimeoutsIfDue() {
        guard now >= nextScan else { return }
        let handshake = configuration.handshakeTimeout.nanoseconds
        let idle = configuration.idleTimeout.nanoseconds
        let read = configuration.readTimeout.nanoseconds
        let write = configuration.writeTimeout.nanoseconds
        var earliest = now + scanInterval
        var expired = [(Connection, Expiry)]()
        for connection in connections.values {
            func consider(_ deadline: UInt64, _ expiry: Expiry) -> Bool {
                if now >= deadline {
                    expired.append((connection, expiry))
                    return true
                }
                earliest = min(earliest, deadline)
                return false
            }
            switch connection.phase {
            case .closing:
                if consider(connection.closeDeadline, .linger) { continue }
            case .connecting, .tls, .hello:
                if consider(connection.openedAt + handshake, .handshake(connection.phase)) { continue }
            case .established:
                if consider(max(connection.lastRead, connection.lastWrite) + idle, .idle) { continue }
            }
            if connection.decoder.isMidFrame && connection.phase != .closing {
                if consider(connection.lastRead + read, .read) { continue }
            }
            if let since = connection.writeWaitingSince, connection.hasOutput {
                _ = consider(since + write, .write)
            }
        }
        for (connection, expiry) in expired where connections[connection.id] != nil {
            switch expiry {
            case .linger:
                finalize(connection)
            case .handshake(let phase):
                close(connection, .timeout(.handshake), send: phase == .hello
                      ? .reason(Reason(.timeout, "no hello within \(configuration.handshakeTimeout)")) : nil,
                      graceful: phase == .hello)
            case .idle:
                close(connection, .timeout(.idle), send: .reason(Reason(.timeout, "idle for \(configuration.idleTimeout)")))
            case .read:
                close(connection, .timeout(.read), send: .reason(Reason(.timeout, "frame incomplete for \(configuration.readTimeout)")))
            case .write:
                close(connection, .timeout(.write), graceful: false)
            }
        }
        nextScan = max(earliest, now + 5_000_000)
    }

    /// Milliseconds poll may sleep: until the next timeout scan, redial or stop deadline.
    private func pollTimeout() -> Int32 {
        var next = nextScan
        for target in targets.values where target.connectionID == nil {
            next = min(next, target.nextAttempt)
        }
        if let stopDeadline { next = min(next, stopDeadline) }
        if acceptPausedUntil > now { next = min(next, acceptPausedUntil) }
        let waitNanos = next > now ? next - now : 0
        return Int32(min(1000, (waitNanos + 999_999) / 1_000_000))
    }

    // MARK: - Closing

    /// Ends a connection: reports it once, then either closes at once or (graceful) sends `send`
    /// (by default the rejection reason), close_notify, and waits up to the linger time for the peer.
    private func close(_ connection: Connection, _ reason: CloseReason, send: Frame? = nil, graceful: Bool = true) {
        guard connection.closeReason == nil else {
            if !graceful { finalize(connection) }
            return
        }
        connection.closeReason = reason
        report(connection, reason)
        var last = send
        if last == nil, case .rejectedByUs(let why) = reason { last = .reason(why) }
        let tlsUp = connection.phase == .hello || connection.phase == .established
        if graceful && tlsUp {
            connection.phase = .closing
            connection.control.removeAll()
            if connection.currentOffset == 0 { connection.current = [] }  // not started: drop it
            if let last { connection.control.append(encode(last)) }
            connection.closeDeadline = now + configuration.closeLinger.nanoseconds
            flush(connection)
            finishClosing(connection)
        } else {
            finalize(connection)
        }
    }

    private func report(_ connection: Connection, _ reason: CloseReason) {
        if let peer = connection.peer {
            if established[peer.nodeID] == connection.id {
                established[peer.nodeID] = nil
                core.state.withLock { state in
                    if state.peers[peer.nodeID]?.info.connectionID == connection.id { state.peers[peer.nodeID] = nil }
                }
                core.spaceGate.advance()  // senders waiting on this peer learn it is gone
            }
            statistics.disconnected += 1
            emitLifecycle(.disconnected(peer, reason))
        } else {
            statistics.refused += 1
            emitLifecycle(.refused(connection.attempt, reason))
        }
        if let target = connection.dialTargetID { scheduleRedial(target, succeeded: connection.peer != nil) }
    }

    private func finalize(_ connection: Connection) {
        guard connections.removeValue(forKey: connection.id) != nil else { return }
        if connection.closeReason == nil {
            connection.closeReason = .stopped
            report(connection, .stopped)
        }
        connection.release()
    }

    /// Connection lifecycle events publish the counters first, so a handler (or a thread it wakes)
    /// reading `statistics` sees them up to date. Frame events skip this: they are the hot path.
    private func emitLifecycle(_ event: TransportEvent) {
        publishStatistics()
        handler(event)
    }

    private func publishStatistics() {
        var snapshot = statistics
        snapshot.openConnections = connections.count
        snapshot.openHandshakes = connections.values.reduce(0) { $0 + ($1.isHandshaking ? 1 : 0) }
        core.state.withLock { state in
            snapshot.queuedBytes = state.peers.values.reduce(0) { $0 + $1.outbox.queuedBytes }
            state.statistics = snapshot
        }
    }
}
