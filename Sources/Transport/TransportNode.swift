import SwarmBase
import Foundation
import Glibc

/// A node's secure transport: listens, dials, authenticates peers with mutual TLS 1.3 against
/// the swarm CA, exchanges hellos, and then carries opaque payloads (membership, factors...)
/// whose sender it has checked against the verified peer.
///
/// Events arrive on `handler`, called on the node's I/O thread in order; a handler should return
/// quickly (hand heavy work to another thread), since it paces reading from every peer.
/// A node is started once and stopped once.
public final class TransportNode: Sendable {
    public let configuration: TransportConfiguration
    public let identity: TLSIdentity
    public let swarmID: String
    public let coreHash: Digest32
    public let schemaHash: Digest32

    private let core: NodeCore
    private let context: TLSContext
    private let clock: any NanosecondClock
    private let handler: @Sendable (TransportEvent) -> Void

    /// - Parameters:
    ///   - swarmID, coreHash, schemaHash: what this node announces in hello; peers must match.
    ///   - clock: the time of every connection deadline (handshake, idle, read, write, linger);
    ///     a `ManualClock` drives them in virtual time. Waits of API calls stay on real time.
    ///   - handler: receives every `TransportEvent`, on the I/O thread.
    public init(
        configuration: TransportConfiguration = TransportConfiguration(), identity: TLSIdentity,
        swarmID: String, coreHash: Digest32, schemaHash: Digest32, clock: any NanosecondClock = MonotonicClock(),
        handler: @escaping @Sendable (TransportEvent) -> Void
    ) throws(TransportError) {
        let limit = configuration.maxFrameLength
        guard limit >= 1024, limit <= Int(UInt32.max) else {
            throw .invalidState("maxFrameLength must be within 1 KiB...4 GiB, got \(limit)")
        }
        guard configuration.maxQueuedBytesPerPeer >= limit + Frame.headerSize else {
            throw .invalidState("maxQueuedBytesPerPeer (\(configuration.maxQueuedBytesPerPeer)) must hold one maximal frame (\(limit + Frame.headerSize) bytes)")
        }
        guard !swarmID.isEmpty, swarmID.utf8.count <= Hello.maxTextLength else {
            throw .invalidState("swarm id must be 1...\(Hello.maxTextLength) bytes")
        }
        self.configuration = configuration
        self.identity = identity
        self.swarmID = swarmID
        self.coreHash = coreHash
        self.schemaHash = schemaHash
        self.handler = handler
        self.clock = clock
        do {
            context = try TLSContext(identity: identity)
        } catch {
            throw .certificate(error)
        }
        core = try NodeCore()
    }

    /// This node's id (from its certificate's public key).
    public var nodeID: NodeID { identity.nodeID }

    /// Binds the listener (if configured) and starts the I/O thread.
    /// Returns the bound listen address ("127.0.0.1:40123"), or nil when not listening.
    @discardableResult
    public func start() throws(TransportError) -> String? {
        let alreadyStarted = core.state.withLock { state in
            defer { state.started = true }
            return state.started
        }
        if alreadyStarted { throw .invalidState("the transport node was already started") }
        var listener: Int32?
        var bound: String?
        if let address = configuration.listenAddress {
            let resolved = try SocketAddress(parsing: address)
            let fd = try Socket.listen(on: resolved, backlog: configuration.listenBacklog)
            listener = fd
            bound = SocketAddress(peerOf: fd, local: true)?.description ?? address
        }
        let hello = Hello(nodeID: identity.nodeID, swarmID: swarmID,
                          listenAddress: configuration.advertisedAddress ?? bound ?? "",
                          coreHash: coreHash, schemaHash: schemaHash)
        core.state.withLock { $0.localHello = hello }
        let loop = LoopStarter(configuration: configuration, core: core, context: context,
                               listener: listener, hello: hello, clock: clock, handler: handler)
        let thread = Thread { loop.run() }
        thread.name = "swarmtune-transport"
        thread.start()
        return bound
    }

    /// The hello this node sends (available after `start`).
    public var localHello: Hello? { core.state.withLock { $0.localHello } }

    /// Connects to `address` ("host:port"). With `reconnect`, the node keeps the connection up,
    /// redialing with exponential backoff and jitter whenever it drops.
    /// With `expecting`, a peer whose certificate gives another node id is refused.
    /// Host names are resolved here, on the caller's thread.
    public func dial(_ address: String, expecting: NodeID? = nil, reconnect: Bool = true) throws(TransportError) {
        let resolved = try SocketAddress(parsing: address)
        try enqueue(.dial(target: DialRequest(address: address, resolved: resolved, expected: expecting, reconnect: reconnect)))
    }

    /// Stops redialing `address` (an open connection stays open).
    public func cancelDial(_ address: String) throws(TransportError) {
        try enqueue(.cancelDial(address: address))
    }

    /// Replaces the link emulation in force (nil: every link ideal from now on): every frame sent
    /// after this returns (and any still queued) is emulated with it; frames already held keep
    /// their times. Also before `start`.
    public func setLinkEmulation(_ emulation: LinkEmulation?) {
        core.state.withLock { state in
            state.linkEmulation = emulation
            state.linkEmulationVersion += 1
        }
        core.wake.signal()
    }

    /// Says bye to a peer and closes its connection.
    public func disconnect(_ peer: NodeID) throws(TransportError) {
        try enqueue(.disconnect(peer))
    }

    private func enqueue(_ command: LoopCommand) throws(TransportError) {
        let accepted = core.state.withLock { state in
            guard state.started && !state.stopping else { return false }
            state.commands.append(command)
            return true
        }
        guard accepted else { throw .invalidState("the transport node is not running") }
        core.wake.signal()
    }

    /// Queues a payload of `kind` from this node for `peer`.
    ///
    /// The queue per peer is bounded (`maxQueuedBytesPerPeer`, `maxQueuedFramesPerPeer`): when it
    /// is full, waits up to `timeout` for room, then throws `queueFull`.
    public func send(_ kind: PayloadKind, _ body: [UInt8], to peer: NodeID, timeout: Duration = .zero) throws(TransportError) {
        try send(.payload(Payload(kind: kind, sender: nodeID, body: body)), to: peer, timeout: timeout)
    }

    /// Queues a payload frame for `peer` as it is (peers refuse one whose sender is not this node).
    /// hello, reason and bye are the transport's own: they throw `reservedFrameKind`.
    /// Encoding happens on the caller's thread.
    public func send(_ frame: Frame, to peer: NodeID, timeout: Duration = .zero) throws(TransportError) {
        switch frame.kind {
        case .hello, .reason, .bye: throw .reservedFrameKind(frame.kind)
        case .payload: break
        }
        let bytes: OutgoingFrame
        do {
            bytes = try frame.outgoing()
        } catch {
            throw .invalidFrame(error)
        }
        if bytes.count - Frame.headerSize > configuration.maxFrameLength {
            throw .frameTooLarge(length: bytes.count - Frame.headerSize, limit: configuration.maxFrameLength)
        }
        try enqueue(frame: bytes, to: peer, timeout: timeout)
    }

    private enum Admission {
        case queued, stopped, notConnected, full(Int), wait
    }

    private func enqueue(frame bytes: OutgoingFrame, to peer: NodeID, timeout: Duration) throws(TransportError) {
        let byteLimit = configuration.maxQueuedBytesPerPeer
        let frameLimit = configuration.maxQueuedFramesPerPeer
        let deadline = MonotonicClock.now() + timeout.nanoseconds
        var waited = false
        while true {
            let seen = core.spaceGate.generation
            let canWait = MonotonicClock.now() < deadline
            let admission = core.state.withLock { state -> Admission in
                if waited { state.waitingSenders -= 1 }
                guard state.started && !state.stopping else { return .stopped }
                guard let entry = state.peers[peer] else { return .notConnected }
                let queued = entry.outbox.queuedBytes
                if queued + bytes.count > byteLimit || entry.outbox.count >= frameLimit {
                    if canWait {
                        state.waitingSenders += 1
                        return .wait
                    }
                    return .full(queued)
                }
                state.peers[peer]?.outbox.push(bytes)
                state.dirty.insert(peer)
                return .queued
            }
            switch admission {
            case .queued:
                core.wake.signal()
                return
            case .stopped:
                throw .invalidState("the transport node is not running")
            case .notConnected:
                throw .notConnected(peer)
            case .full(let queued):
                throw .queueFull(peer, queuedBytes: queued, limit: byteLimit)
            case .wait:
                waited = true
                _ = core.spaceGate.wait(past: seen, deadline: deadline)
            }
        }
    }

    /// Connected peers, in no particular order.
    public var connectedPeers: [PeerInfo] {
        core.state.withLock { state in state.peers.values.map(\.info) }
    }

    /// Bytes waiting in `peer`'s send queue.
    public func queuedBytes(for peer: NodeID) -> Int {
        core.state.withLock { $0.peers[peer]?.outbox.queuedBytes ?? 0 }
    }

    /// Counters (refreshed by the I/O thread on every loop turn).
    public var statistics: TransportStatistics {
        core.state.withLock { $0.statistics }
    }

    /// Says bye to every peer, waits up to `closeLinger` for them to close, and ends the I/O
    /// thread. Returns once the thread is done (immediately when called from the handler).
    public func stop() {
        let wasRunning = core.state.withLock { state in
            guard state.started && !state.stopping else { return false }
            state.stopping = true
            return true
        }
        core.wake.signal()
        // From the handler (on the I/O thread) waiting would deadlock: the loop finishes on its own.
        guard wasRunning, !LoopStarter.isLoopThread else { return }
        let limit = MonotonicClock.now() + configuration.closeLinger.nanoseconds + 5_000_000_000
        while true {
            let seen = core.finishGate.generation
            if core.state.withLock({ $0.finished }) { return }
            if MonotonicClock.now() >= limit { return }
            _ = core.finishGate.wait(past: seen, deadline: min(limit, MonotonicClock.now() + 100_000_000))
        }
    }

    deinit {
        stop()
    }
}

/// Carries the loop's inputs across the thread boundary; the loop itself is created on its thread.
private struct LoopStarter: Sendable {
    let configuration: TransportConfiguration
    let core: NodeCore
    let context: TLSContext
    let listener: Int32?
    let hello: Hello
    let clock: any NanosecondClock
    let handler: @Sendable (TransportEvent) -> Void

    @TaskLocal static var isLoopThread = false

    func run() {
        LoopStarter.$isLoopThread.withValue(true) {
            EventLoop(configuration: configuration, core: core, context: context, listener: listener,
                      localHello: hello, clock: clock, handler: handler).run()
        }
    }
}
