import Foundation
import Membership
import SwarmBase
import Synchronization
import Transport

/// Runs one SWIM state machine on real time over a `TransportNode`.
///
/// The state machine is owned by one dedicated driver thread. Transport callbacks (on the transport's
/// I/O thread) and API calls only post events to the driver's mailbox; the driver thread decodes SWIM
/// payloads, feeds them and the protocol timer to `SWIMInstance`, and executes its directives: encode and
/// send over the connection to the member's address, dialing on demand. A SWIM message is attributed to
/// its payload's sender, which the transport has checked against the TLS-verified peer (a forgery closes
/// the connection and is counted), and updates advertising another core or adapter schema are removed
/// (the transport hello already refuses such peers).
///
/// With a state directory the driver keeps `membership.json` (node id, highest incarnation; a restart
/// starts one above it) and rewrites `members.json` (the view) every period.
///
/// Call `leave()` (graceful) or `stop()` (abrupt) before dropping the driver: its thread runs until then.
public final class MembershipDriver: Sendable {
    public let configuration: MembershipDriverConfiguration
    /// This node's id: the key digest of its certificate.
    public let nodeID: NodeID

    private let transport: TransportNode
    private let mailbox: Mailbox<DriverEvent>
    private let view: SharedView
    private let finished = Latch()
    private let identity: TLSIdentity
    private let onChange: (@Sendable (MemberChange) -> Void)?

    /// - Parameters:
    ///   - onChange: told of every membership change, on the driver thread (return quickly), after
    ///     `members` includes it (a listener may read the view when told).
    ///   - otherPayloads: payloads of every kind but membership (factors...), on the transport's I/O
    ///     thread, already attributed to their TLS-verified sender (return quickly: only enqueue).
    ///     Without it they are ignored. This is how the node shares one transport between membership
    ///     and gossip.
    ///   - connected: told of every established connection (a new peer, or a connection replacing
    ///     one that was lost or raced), on the transport's I/O thread (return quickly). Frames
    ///     written to a replaced connection may be lost; a layer that needs delivery re-sends here.
    ///   - refused: told, with the transport's reason, when it closed a verified peer's connection
    ///     because that peer broke the protocol (a payload claiming another sender), on the I/O
    ///     thread (return quickly); the node logs it as a refused frame.
    public init(identity: TLSIdentity, configuration: MembershipDriverConfiguration,
                onChange: (@Sendable (MemberChange) -> Void)? = nil,
                otherPayloads: (@Sendable (Payload) -> Void)? = nil,
                connected: (@Sendable (NodeID) -> Void)? = nil,
                refused: (@Sendable (NodeID, String) -> Void)? = nil) throws(NodeError) {
        guard configuration.transport.listenAddress != nil else {
            throw .invalidState("the membership driver needs a listen address: members must be reachable")
        }
        self.configuration = configuration
        self.identity = identity
        self.nodeID = identity.nodeID
        self.onChange = onChange
        let mailbox = Mailbox<DriverEvent>(limit: max(16, configuration.mailboxLimit))
        self.mailbox = mailbox
        view = SharedView()
        do {
            transport = try TransportNode(configuration: configuration.transport, identity: identity,
                                          swarmID: configuration.swarmID, coreHash: configuration.coreHash,
                                          schemaHash: configuration.schemaHash) { event in
                // Only enqueue: the driver thread owns the state machine.
                if case .received(let payload, _) = event, payload.kind != .membership {
                    otherPayloads?(payload)
                    return
                }
                if case .connected(let info) = event { connected?(info.nodeID) }
                if case .disconnected(let info, .rejectedByUs(let reason)) = event, reason.code == .protocolError {
                    refused?(info.nodeID, reason.text)
                }
                if case .received = event {
                    mailbox.post(.transport(event), droppable: true)
                } else {
                    mailbox.post(.transport(event))
                }
            }
        } catch {
            throw .transport(error)
        }
    }

    /// Starts listening, restores the incarnation, and joins through `seeds` (none: the first node).
    /// Returns this node as it advertises itself.
    @discardableResult
    public func start(seeds: [PeerAddress] = []) throws(NodeError) -> Member {
        let alreadyStarted = view.state.withLock { view in
            defer { view.started = true }
            return view.started
        }
        if alreadyStarted { throw .invalidState("the membership driver was already started") }

        var incarnation: UInt64 = 0
        var store: IncarnationStore?
        if let directory = configuration.stateDirectory {
            try StateFile.makeDirectory(directory)
            let opened = IncarnationStore(stateDirectory: directory)
            incarnation = try opened.startingIncarnation(for: nodeID.hex)
            // Persist before sending anything: a crash right after start still comes back higher.
            try opened.save(.init(nodeID: nodeID.hex, incarnation: incarnation))
            store = opened
        }

        let bound: String?
        do { bound = try transport.start() } catch { throw .transport(error) }
        let advertised = configuration.transport.advertisedAddress ?? bound ?? ""
        let address: PeerAddress
        do { address = try PeerAddress(parsing: advertised) } catch {
            transport.stop()
            throw .invalidAddress(advertised, detail: error.description)
        }
        let metadata = MemberMetadata(coreHash: configuration.coreHash.hex,
                                      adapterSchemaHash: configuration.schemaHash.hex,
                                      capabilities: configuration.capabilities)
        let swim = SWIMInstance(id: nodeID, address: address, metadata: metadata, incarnation: incarnation,
                                settings: configuration.swim, seed: UInt64.random(in: .min ... .max))
        view.state.withLock { $0.myself = swim.myself }

        let loop = DriverLoop.Inputs(configuration: configuration, swim: swim, seeds: seeds, store: store,
                                     transport: transport, mailbox: mailbox, view: view, finished: finished,
                                     onChange: onChange)
        let thread = Thread { DriverLoop(loop).run() }
        thread.name = "swarmtune-membership"
        thread.start()
        return swim.myself
    }

    /// Leaves gracefully: disseminates `left`, keeps answering for `grace` (default
    /// `configuration.leaveGrace`) so the news spreads, then stops. Returns once stopped.
    public func leave(grace: Duration? = nil) {
        guard view.state.withLock({ $0.started }) else { return }
        mailbox.post(.leave(grace ?? configuration.leaveGrace))
        finished.wait()
    }

    /// Stops at once, without telling anyone (peers will detect it as failed). Returns once stopped.
    public func stop() {
        guard view.state.withLock({ $0.started }) else { return }
        mailbox.post(.stop)
        finished.wait()
    }

    /// This node as it advertises itself (incarnation, status, address).
    public var myself: Member? { view.state.withLock { $0.myself } }

    /// Every other member this node knows (tombstones included), ordered by id.
    public var members: [MemberRecord] { view.state.withLock { $0.members } }

    /// This node's view of `id`.
    public func member(_ id: NodeID) -> Member? {
        view.state.withLock { view in view.members.first { $0.member.id == id }?.member }
    }

    public var statistics: MembershipDriverStatistics {
        var statistics = view.state.withLock { $0.statistics }
        statistics.mailboxDropped = mailbox.dropped
        statistics.forgedSender = transport.statistics.forgedSender
        return statistics
    }

    /// Whether the driver thread has ended (after `leave` or `stop`).
    public var isStopped: Bool { finished.isOpen }

    /// Replaces the transport's link emulation (`TransportNode.setLinkEmulation`).
    public func setLinkEmulation(_ emulation: LinkEmulation?) {
        transport.setLinkEmulation(emulation)
    }

    /// The transport's counters (connections, bytes).
    public var transportStatistics: TransportStatistics { transport.statistics }

    /// What `send` did with a payload.
    public enum SendOutcome: Sendable, Equatable {
        /// Queued on the connection to the member.
        case queued
        /// Not connected: a dial to the address membership knows for the member has started and the
        /// payload was not queued. The caller sends again when `connected` reports the member.
        case dialing
    }

    /// Sends a payload of another layer (factors) to a member over the shared transport, without
    /// waiting for a connection: the caller's thread (the node's round loop) must never stall on a
    /// member that is dead or still being dialed. Waits up to `queueTimeout` only when the
    /// member's send queue is full. `claimedSender` (tests only: a hostile neighbour) puts another
    /// sender in the payload than this node; the receiving transport refuses it and closes the connection.
    public func send(_ kind: PayloadKind, _ body: [UInt8], to peer: NodeID, queueTimeout: Duration,
                     claimedSender: NodeID? = nil) throws(TransportError) -> SendOutcome {
        do {
            try transport.send(.payload(Payload(kind: kind, sender: claimedSender ?? transport.nodeID, body: body)), to: peer,
                               timeout: queueTimeout)
            return .queued
        } catch {
            guard case .notConnected = error, let address = member(peer)?.address else { throw error }
            try transport.dial(address.description, expecting: peer, reconnect: false)
            return .dialing
        }
    }
}

/// What the driver thread receives.
enum DriverEvent: Sendable {
    case transport(TransportEvent)
    case leave(Duration)
    case stop
}

/// What the driver thread publishes for other threads.
struct PublishedView: Sendable {
    var started = false
    var myself: Member?
    var members: [MemberRecord] = []
    var statistics = MembershipDriverStatistics()
}

/// The published view, shared by reference between the driver thread and API callers.
final class SharedView: Sendable {
    let state = Mutex(PublishedView())
}
