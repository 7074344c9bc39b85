import SwarmBase
import Glibc

/// The I/O driver of one `TransportNode`: a single thread multiplexing the listener and every
/// connection with poll(2) over non-blocking sockets and non-blocking TLS.
///
/// All connection state lives here and is touched only by this thread; API threads talk to it
/// through `NodeCore` (a Mutex-protected command list and send queues, plus a wake-up pipe).
/// Protocol decisions are each connection's `ConnectionStateMachine`; this type performs them.
/// By concern: accepting (`+Accept`), dialing (`+Dial`), reading and dispatching frames
/// (`+Input`), writing and coalescing (`+Output`), timeouts (`+Timeouts`), closing (`+Close`).
/// Time comes from the injected clock, so timeouts can be driven in virtual time.
final class EventLoop {
    let configuration: TransportConfiguration
    let core: NodeCore
    let context: TLSContext
    let listener: Int32?
    let localHello: Hello
    let handler: @Sendable (TransportEvent) -> Void
    let clock: any NanosecondClock
    let timeouts: ConnectionStateMachine.Timeouts

    var connections: [UInt64: Connection] = [:]
    /// Established peer -> connection id.
    var established: [NodeID: UInt64] = [:]
    /// Peers with a duplicate connection still draining -> how many: their kept connection is not
    /// read until those end, so the peer's frames are delivered in the order it sent them.
    var draining: [NodeID: Int] = [:]
    var targets: [UInt64: DialTarget] = [:]
    var nextID: UInt64 = 1
    var random = SystemRandomNumberGenerator()
    var statistics = TransportStatistics()
    /// The link emulator (nil: frames go out as soon as they can), and the version of
    /// `SharedState.linkEmulation` it follows.
    var shaper: LinkShaper?
    var shaperVersion = 0
    var stopDeadline: UInt64?
    var now: UInt64
    var nextScan: UInt64 = 0
    var nextPublish: UInt64 = 0
    var acceptPausedUntil: UInt64 = 0
    /// Longest gap between timeout scans: a quarter of the shortest timeout, within 5...250 ms.
    let scanInterval: UInt64

    /// Most bytes read from one connection per loop turn, so one busy peer cannot starve the others.
    let readBudget = 8 << 20
    /// Small queued frames are coalesced into one TLS write up to this size.
    let coalesceBudget = 256 << 10

    init(configuration: TransportConfiguration, core: NodeCore, context: TLSContext, listener: Int32?,
         localHello: Hello, clock: any NanosecondClock, handler: @escaping @Sendable (TransportEvent) -> Void) {
        self.configuration = configuration
        self.core = core
        self.context = context
        self.listener = listener
        self.localHello = localHello
        self.handler = handler
        self.clock = clock
        self.timeouts = ConnectionStateMachine.Timeouts(configuration)
        self.now = clock.now()
        shaper = configuration.linkEmulation.map(LinkShaper.init)
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
            now = clock.now()
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
                var events = connection.readPaused(by: draining) ? Int16(0) : Int16(POLLIN)
                if connection.machine.isConnecting || connection.hasOutput || connection.readWantsWrite {
                    events |= Int16(POLLOUT)
                }
                if connection.readPending && !connection.readPaused(by: draining) { immediate = true }
                pollSet.append(pollfd(fd: connection.fd, events: events, revents: 0))
                order.append(id)
            }
            if now >= nextPublish {
                publishStatistics()
                nextPublish = now + 20_000_000
            }
            let ready = retryingOnInterrupt { poll(&pollSet, nfds_t(pollSet.count), immediate ? 0 : timeout) }
            now = clock.now()
            if case .failure = ready { break }

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
                if revents != 0 || connection.readPending || connection.hasOutput || connection.outboxMayHaveMore || connection.heldDue(now) {
                    drive(connection, revents: revents)
                }
            }
        }
        shutdownAll()
    }

    func shutdownAll() {
        for connection in connections.values {
            if connection.machine.closeReason == nil { close(connection, .stopped, graceful: false) } else { finalize(connection) }
        }
        connections.removeAll()
        if let listener { Glibc.close(listener) }
        publishStatistics()
        core.state.withLock { $0.finished = true }
        core.finishGate.advance()
        core.spaceGate.advance()
    }

    // MARK: - Commands from API threads

    func processCommands() {
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
            for connection in Array(connections.values) where connection.machine.closeReason == nil {
                if connection.machine.isEstablished {
                    // Frames `send` accepted go out first (until the stop deadline), then the bye.
                    connection.byeWhenFlushed = true
                    connection.outboxMayHaveMore = true
                } else {
                    close(connection, .stopped)
                }
            }
        }
    }

    /// Adopts a link emulation set while running (read in the same critical section that popped
    /// the frames it applies to; see `refill`). Once created the shaper stays (frames it holds
    /// still go out in order); turning emulation off makes every link ideal.
    func adopt(_ emulation: LinkEmulation?, version: Int) {
        shaperVersion = version
        if shaper == nil, let emulation { shaper = LinkShaper(emulation) } else {
            shaper?.emulation = emulation ?? LinkEmulation(all: .ideal, seed: 0)
        }
    }

    func makeID() -> UInt64 {
        defer { nextID += 1 }
        return nextID
    }
}
