import Membership
import SwarmBase
import Transport

/// The driver thread's state: the SWIM instance, the address router, timers and counters.
/// Created on the driver thread and never shared; everything else reaches it through the mailbox.
final class DriverLoop {
    struct Inputs: Sendable {
        let configuration: MembershipDriverConfiguration
        let swim: SWIMInstance
        let seeds: [PeerAddress]
        let store: IncarnationStore?
        let transport: TransportNode
        let mailbox: Mailbox<DriverEvent>
        let view: SharedView
        let finished: Latch
        let onChange: (@Sendable (MemberChange) -> Void)?
    }

    private let inputs: Inputs
    private var swim: SWIMInstance
    private var router: PeerRouter
    private var timer: SWIMTime?
    private var lastHeard: [NodeID: Int64] = [:]
    private var statistics = MembershipDriverStatistics()
    private var persistedIncarnation: UInt64
    private var leaveDeadline: UInt64?
    private var nextMembersWrite: UInt64
    /// Changes from the directives just executed, told to `onChange` once the published view holds
    /// them: a listener that reads `members` when told must see the change it was told of.
    private var unannounced: [MemberChange] = []
    private let membersInterval: UInt64
    private let epoch: UInt64
    private let coreHash: String
    private let schemaHash: String

    init(_ inputs: Inputs) {
        self.inputs = inputs
        swim = inputs.swim
        router = PeerRouter(maxPendingPerAddress: max(1, inputs.configuration.maxPendingPerAddress),
                            dialTimeout: inputs.configuration.dialTimeout.nanoseconds)
        persistedIncarnation = inputs.swim.myself.incarnation
        epoch = MonotonicClock.now()
        membersInterval = max(10_000_000, (inputs.configuration.membersFileInterval
                                               ?? inputs.configuration.swim.probeInterval).nanoseconds)
        nextMembersWrite = epoch
        coreHash = inputs.configuration.coreHash.hex
        schemaHash = inputs.configuration.schemaHash.hex
    }

    func run() {
        execute(swim.start(now: now()))
        if !inputs.seeds.isEmpty { execute(swim.join(seeds: inputs.seeds, now: now())) }
        var stopping = false
        while !stopping {
            let events = inputs.mailbox.take(until: wakeTime())
            for event in events {
                switch event {
                case .transport(let transportEvent):
                    handle(transportEvent)
                case .leave(let grace):
                    if leaveDeadline == nil {
                        execute(swim.leave(now: now()))
                        leaveDeadline = MonotonicClock.now() &+ grace.nanoseconds
                    }
                case .stop:
                    stopping = true
                }
            }
            if stopping { break }
            if let due = timer, now() >= due {
                timer = nil
                execute(swim.tick(now: now()))
            }
            statistics.undeliverable += router.expire(now: MonotonicClock.now())
            if let deadline = leaveDeadline, MonotonicClock.now() >= deadline { stopping = true }
            housekeeping(running: !stopping)
        }
        inputs.transport.stop()
        nextMembersWrite = 0
        housekeeping(running: false)
        inputs.finished.open()
    }

    // MARK: Events

    private func handle(_ event: TransportEvent) {
        switch event {
        case .connected(let info):
            for payload in router.connected(info) { transmit(payload, to: info.nodeID) }
        case .disconnected(let info, _):
            router.disconnected(info)
        case .refused(let attempt, _):
            if attempt.direction == .outbound { dialFailed(attempt.remoteAddress) }
        case .received(let payload, _):
            guard payload.kind == .membership else {
                statistics.ignoredFrames += 1
                return
            }
            receive(payload)
        }
    }

    /// A SWIM message from `payload.sender`, which the transport has checked is the TLS-verified peer.
    private func receive(_ payload: Payload) {
        var envelope: SWIMEnvelope
        do { envelope = try SWIMCodec.decode(payload.body, sender: payload.sender) } catch {
            statistics.undecodable += 1
            return
        }
        removeForeignUpdates(&envelope)
        statistics.received += 1
        lastHeard[envelope.sender] = WallClock.milliseconds()
        execute(swim.receive(envelope, now: now()))
    }

    /// Drops updates advertising another core or adapter schema: such nodes cannot talk to this swarm
    /// (the transport refuses their hello), so they must not enter the member list second hand either.
    private func removeForeignUpdates(_ envelope: inout SWIMEnvelope) {
        let before = envelope.gossip.count
        envelope.gossip.removeAll { !isCompatible($0) }
        statistics.foreignMetadata += before - envelope.gossip.count
        if case .pushPull(var state) = envelope.message {
            let count = state.members.count
            state.members.removeAll { !isCompatible($0) }
            if state.members.count != count {
                statistics.foreignMetadata += count - state.members.count
                envelope.message = .pushPull(state)
            }
        }
    }

    private func isCompatible(_ update: MembershipUpdate) -> Bool {
        guard let metadata = update.metadata else { return true }
        return metadata.coreHash == coreHash && metadata.adapterSchemaHash == schemaHash
    }

    // MARK: Directives

    private func execute(_ directives: [SWIMDirective]) {
        for directive in directives {
            switch directive {
            case let .send(envelope, address):
                let payload: [UInt8]
                do { payload = try SWIMCodec.encode(envelope) } catch {
                    statistics.sendFailures += 1
                    continue
                }
                send(payload, to: address.description)
            case .setTimer(let time):
                timer = time
            case let .memberChanged(member, previous):
                unannounced.append(.changed(member, previous: previous))
            case .memberForgotten(let id):
                lastHeard[id] = nil
                unannounced.append(.forgotten(id))
            }
        }
    }

    private func send(_ payload: [UInt8], to address: String) {
        switch router.route(payload, to: address, now: MonotonicClock.now()) {
        case .send(let peer):
            transmit(payload, to: peer)
        case .dial:
            statistics.dials += 1
            do {
                try inputs.transport.dial(address, reconnect: false)
            } catch {
                dialFailed(address)
            }
        case .queued:
            break
        case .dropped:
            statistics.undeliverable += 1
        }
    }

    private func dialFailed(_ address: String) {
        let outcome = router.dialFailed(address)
        statistics.undeliverable += outcome.dropped
        if let redirect = outcome.redirect {
            for payload in redirect.payloads { transmit(payload, to: redirect.peer) }
        }
    }

    private func transmit(_ payload: [UInt8], to peer: NodeID) {
        do {
            try inputs.transport.send(.membership, payload, to: peer)
            statistics.sent += 1
        } catch {
            statistics.sendFailures += 1
            if case .notConnected = error { router.forget(peer) }
        }
    }

    // MARK: Time and state

    private func now() -> SWIMTime {
        SWIMTime(nanoseconds: Int64(clamping: MonotonicClock.now() &- epoch))
    }

    private func wakeTime() -> UInt64 {
        var wake = nextMembersWrite
        if let due = timer { wake = min(wake, epoch &+ UInt64(max(0, due.nanoseconds))) }
        if let deadline = router.nextDeadline { wake = min(wake, deadline) }
        if let deadline = leaveDeadline { wake = min(wake, deadline) }
        return wake
    }

    /// Persists a raised incarnation, publishes the view, and rewrites `members.json` when due.
    private func housekeeping(running: Bool) {
        if swim.myself.incarnation > persistedIncarnation, let store = inputs.store {
            do {
                try store.save(.init(nodeID: swim.myself.id.hex, incarnation: swim.myself.incarnation))
                persistedIncarnation = swim.myself.incarnation
            } catch {
                statistics.stateWriteFailures += 1
            }
        }
        let records = swim.knownMembers.map { MemberRecord(member: $0, lastHeardMs: lastHeard[$0.id]) }
        let myself = swim.myself
        let counters = statistics
        inputs.view.state.withLock { view in
            view.myself = myself
            view.members = records
            view.statistics = counters
        }
        let changes = unannounced
        unannounced = []
        for change in changes { inputs.onChange?(change) }
        let monotonicNow = MonotonicClock.now()
        guard monotonicNow >= nextMembersWrite else { return }
        nextMembersWrite = monotonicNow &+ membersInterval
        guard let directory = inputs.configuration.stateDirectory else { return }
        let file = MembersFile(node: Self.entry(myself, lastHeard: nil), writtenAtMs: WallClock.milliseconds(),
                               running: running, members: records.map { Self.entry($0.member, lastHeard: $0.lastHeardMs) })
        do { try file.write(stateDirectory: directory) } catch { statistics.stateWriteFailures += 1 }
    }

    private static func entry(_ member: Member, lastHeard: Int64?) -> MembersFile.Entry {
        MembersFile.Entry(id: member.id.hex, address: member.address.description, status: member.status.description,
                          incarnation: member.incarnation, lastHeardMs: lastHeard,
                          coreHash: member.metadata.coreHash, adapterSchemaHash: member.metadata.adapterSchemaHash)
    }
}
