import SwarmBase

/// The SWIM membership protocol with Lifeguard extensions, as a pure state machine.
///
/// Events go in (`start`, `join`, `tick`, `receive`, `leave`), each with the current time; directives come
/// out (send this envelope there, call `tick` then, this member changed). No I/O, no clock, and all
/// randomness from a seeded generator, so a run is reproducible and can be simulated in virtual time.
///
/// Protocol: one probe per period over a shuffled round-robin of live members; ping/ack, then ping-request
/// through k random relays (which nack when their own probe fails); a failed probe makes the target
/// suspect; suspicion times out into dead after a Lifeguard timeout that shrinks with independent
/// confirmations; a suspected member refutes by raising its incarnation. A local health multiplier
/// stretches this node's period and probe timeout while it misses acks and nacks. Updates are piggy-backed
/// on every message and, while any are pending, also sent in gossip messages to a few random members
/// every `gossipInterval`, each at most lambda·log(n) times; a periodic push-pull with a random member
/// exchanges full state. Dead and left
/// members are kept as tombstones for `tombstoneLifetime`, then forgotten.
///
/// Rejoin: a member that restarts with the same id should pass an `incarnation` above any it used before
/// (the driver persists `myself.incarnation`); if it cannot, it still wins: on learning a newer state about
/// itself (alive from its previous life, suspect, dead or left) it jumps to that incarnation + 1 and
/// disseminates alive, which overrides the tombstone everywhere.
public struct SWIMInstance: Sendable {
    public let settings: SWIMSettings
    /// This node as it advertises itself.
    public private(set) var myself: Member
    /// Local health score, 0 (healthy) ... `maxLocalHealthMultiplier - 1`; intervals scale by score + 1.
    public private(set) var localHealth = 0

    private var members: [NodeID: Member] = [:]
    /// Other live (alive or suspect) members, for uniform random choice in O(1).
    private var live: [NodeID] = []
    private var liveIndex: [NodeID: Int] = [:]
    private var probeOrder: [NodeID] = []
    private var probeCursor = 0
    private var probe: Probe?
    private var relays: [UInt32: Relay] = [:]
    private var suspicions: [NodeID: Suspicion] = [:]
    private var tombstones: [NodeID: SWIMTime] = [:]
    private var gossip = DisseminationQueue()
    private var random: SeededRandom
    private var sequence: UInt32 = 0
    private var started = false
    private var leaving = false
    private var nextProbe: SWIMTime?
    private var nextPushPull: SWIMTime?
    private var nextGossip: SWIMTime?
    private var nextJoinAttempt: SWIMTime?
    private var nextReconnect: SWIMTime?
    private var seeds: [PeerAddress] = []
    private var scheduled: SWIMTime?

    private let probeIntervalNanoseconds: Int64
    private let probeTimeoutNanoseconds: Int64
    private let relayTimeoutNanoseconds: Int64
    private let tombstoneNanoseconds: Int64
    private let joinRetryNanoseconds: Int64
    private let gossipNanoseconds: Int64

    private struct Probe {
        var target: NodeID
        var address: PeerAddress
        var sequence: UInt32
        var ackDeadline: SWIMTime
        var acked = false
        var indirectSent = false
        var expectedNacks = 0
        var nacks = 0
    }

    private struct Relay {
        var requester: PeerAddress
        var requesterSequence: UInt32
        var deadline: SWIMTime
    }

    private struct Suspicion {
        var incarnation: UInt64
        var start: SWIMTime
        var suspectors: Set<NodeID>
        var minimum: Int64
        var maximum: Int64
        var expected: Int
        var deadline: SWIMTime

        mutating func recomputeDeadline() {
            let timeout = SWIMSettings.suspicionTimeout(confirmations: suspectors.count - 1, expected: expected,
                                                        min: minimum, max: maximum)
            deadline = start.advanced(by: timeout)
        }
    }

    /// Creates a node's state machine.
    /// - Parameters:
    ///   - incarnation: start above any incarnation this id used before (see the type's notes on rejoin).
    ///   - seed: seeds every random choice.
    ///   - knownMembers: members remembered from an earlier run, taken as alive at their incarnation.
    public init(id: NodeID, address: PeerAddress, metadata: MemberMetadata = MemberMetadata(), incarnation: UInt64 = 0,
                settings: SWIMSettings = SWIMSettings(), seed: UInt64, knownMembers: [Member] = []) {
        self.settings = settings
        self.myself = Member(id: id, address: address, incarnation: incarnation, status: .alive, metadata: metadata)
        self.random = SeededRandom(seed: seed)
        probeIntervalNanoseconds = max(1, settings.probeInterval.nanoseconds)
        probeTimeoutNanoseconds = max(1, settings.probeTimeout.nanoseconds)
        relayTimeoutNanoseconds = max(1, settings.relayTimeout.nanoseconds)
        tombstoneNanoseconds = max(0, settings.tombstoneLifetime.nanoseconds)
        joinRetryNanoseconds = max(1, settings.joinRetryInterval.nanoseconds)
        gossipNanoseconds = max(1, settings.gossipInterval.nanoseconds)
        for member in knownMembers.sorted(by: { $0.id < $1.id }) where member.id != id && members[member.id] == nil {
            var alive = member
            alive.status = .alive
            members[member.id] = alive
            liveIndex[member.id] = live.count
            live.append(member.id)
        }
        probeOrder = live
        probeOrder.shuffle(using: &random)
    }

    // MARK: Queries

    /// Every other member this node knows, including dead and left tombstones, ordered by id.
    public var knownMembers: [Member] { members.values.sorted { $0.id < $1.id } }

    /// This node's view of `id`.
    public func member(_ id: NodeID) -> Member? { id == myself.id ? myself : members[id] }

    /// Alive and suspect members, this node included: the n in the protocol's log(n) terms.
    public var liveMemberCount: Int { live.count + 1 }

    /// The factor (1 ... `maxLocalHealthMultiplier`) stretching this node's probe interval and timeout.
    public var localHealthMultiplier: Int { localHealth + 1 }

    /// When this node will declare the suspected member `id` dead, unless refuted first.
    public func suspicionDeadline(for id: NodeID) -> SWIMTime? { suspicions[id]?.deadline }

    /// Updates waiting to be piggy-backed.
    public var pendingGossipCount: Int { gossip.count }

    // MARK: Events

    /// Starts probing and anti-entropy. The first probe comes at a random point of the first period so
    /// that nodes started together do not probe in lockstep.
    public mutating func start(now: SWIMTime) -> [SWIMDirective] {
        var out: [SWIMDirective] = []
        if !started && !leaving {
            started = true
            nextProbe = now.advanced(by: Int64.random(in: 0..<probeIntervalNanoseconds, using: &random))
            let pushPull = settings.pushPullIntervalNanoseconds(memberCount: liveMemberCount)
            nextPushPull = now.advanced(by: Int64.random(in: 0..<max(1, pushPull), using: &random))
            let reconnect = settings.reconnectInterval.nanoseconds
            nextReconnect = reconnect > 0 ? now.advanced(by: Int64.random(in: 0..<reconnect, using: &random)) : nil
            nextGossip = settings.gossipFanout > 0 ? now : nil
        }
        reschedule(&out)
        return out
    }

    /// Joins through `seeds`: a push-pull with each, repeated every `joinRetryInterval` until some
    /// member is known.
    public mutating func join(seeds: [PeerAddress], now: SWIMTime) -> [SWIMDirective] {
        var out: [SWIMDirective] = []
        self.seeds = seeds.filter { $0 != myself.address }
        sendJoin(now, &out)
        reschedule(&out)
        return out
    }

    /// Handles every timeout due at `now` and always ends with a `setTimer` (when anything is pending).
    /// Safe to call early or late.
    public mutating func tick(now: SWIMTime) -> [SWIMDirective] {
        var out: [SWIMDirective] = []
        expireRelays(now, &out)
        if let current = probe, !current.acked, !current.indirectSent, now >= current.ackDeadline {
            sendIndirectProbes(now, &out)
        }
        if let next = nextProbe, now >= next {
            concludeProbe(now, &out)
            startProbe(now, &out)
            nextProbe = now.advanced(by: probeIntervalNanoseconds * Int64(localHealthMultiplier))
        }
        expireSuspicions(now, &out)
        expireTombstones(now, &out)
        if let next = nextGossip, now >= next {
            if gossip.count > 0 {
                for member in randomLive(count: settings.gossipFanout, excluding: nil) {
                    if let address = members[member]?.address { send(.gossip, to: address, &out) }
                }
            }
            nextGossip = now.advanced(by: gossipNanoseconds)
        }
        if let next = nextPushPull, now >= next {
            if !live.isEmpty {
                let partner = live[Int.random(in: 0..<live.count, using: &random)]
                if let address = members[partner]?.address {
                    let state = SWIMMessage.PushPull(isResponse: false, join: false, members: fullState())
                    send(.pushPull(state), to: address, &out)
                }
            }
            nextPushPull = now.advanced(by: settings.pushPullIntervalNanoseconds(memberCount: liveMemberCount))
        }
        if let next = nextReconnect, now >= next {
            // Reconnect: exchange state with one member believed dead, so that a healed partition
            // (or a false death) is noticed and refuted while the tombstone lasts.
            let dead = tombstones.keys.filter { members[$0]?.status == .dead }.sorted()
            if !dead.isEmpty, let address = members[dead[Int.random(in: 0..<dead.count, using: &random)]]?.address {
                let state = SWIMMessage.PushPull(isResponse: false, join: false, members: fullState())
                send(.pushPull(state), to: address, &out)
            }
            nextReconnect = now.advanced(by: settings.reconnectInterval.nanoseconds)
        }
        if let next = nextJoinAttempt, now >= next {
            if live.isEmpty { sendJoin(now, &out) } else { nextJoinAttempt = nil }
        }
        // The driver's timer has just fired: always hand it the next one.
        scheduled = nil
        reschedule(&out)
        return out
    }

    /// Handles a message from a peer.
    public mutating func receive(_ envelope: SWIMEnvelope, now: SWIMTime) -> [SWIMDirective] {
        var out: [SWIMDirective] = []
        guard envelope.sender != myself.id else { return out }
        for update in envelope.gossip { apply(update, from: envelope.sender, viaPushPull: false, now, &out) }
        switch envelope.message {
        case let .ping(sequence, target):
            if target == myself.id { send(.ack(sequence: sequence), to: envelope.senderAddress, &out) }
        case let .ack(sequence):
            handleAck(sequence, &out)
        case let .pingRequest(sequence, target, targetAddress):
            guard target != myself.id else {
                send(.ack(sequence: sequence), to: envelope.senderAddress, &out)
                break
            }
            let relaySequence = nextSequence()
            relays[relaySequence] = Relay(requester: envelope.senderAddress, requesterSequence: sequence,
                                          deadline: now.advanced(by: relayTimeoutNanoseconds))
            send(.ping(sequence: relaySequence, target: target), to: targetAddress, &out)
        case let .nack(sequence):
            if probe?.sequence == sequence { probe?.nacks += 1 }
        case let .pushPull(state):
            for update in state.members { apply(update, from: envelope.sender, viaPushPull: true, now, &out) }
            if !state.isResponse {
                let reply = SWIMMessage.PushPull(isResponse: true, join: false, members: fullState())
                send(.pushPull(reply), to: envelope.senderAddress, &out)
            }
        case .gossip:
            break
        case let .leave(incarnation):
            let update = MembershipUpdate(id: envelope.sender, address: envelope.senderAddress,
                                          incarnation: incarnation, status: .left)
            apply(update, from: envelope.sender, viaPushPull: false, now, &out)
        }
        reschedule(&out)
        return out
    }

    /// Leaves gracefully: marks this node left, tells `leaveFanout` members directly and gossips it.
    /// The driver should keep delivering messages for a few periods so the news spreads, then stop.
    public mutating func leave(now: SWIMTime) -> [SWIMDirective] {
        var out: [SWIMDirective] = []
        guard !leaving else { return out }
        leaving = true
        myself.status = .left
        probe = nil
        nextProbe = nil
        nextPushPull = nil
        nextJoinAttempt = nil
        nextReconnect = nil
        gossip.enqueue(update(for: myself, suspector: nil))
        for member in randomLive(count: settings.leaveFanout, excluding: nil) {
            if let address = members[member]?.address {
                send(.leave(incarnation: myself.incarnation), to: address, &out)
            }
        }
        reschedule(&out)
        return out
    }

    // MARK: Probing

    private mutating func startProbe(_ now: SWIMTime, _ out: inout [SWIMDirective]) {
        guard !leaving, let target = nextProbeTarget(), let member = members[target] else { return }
        let sequence = nextSequence()
        probe = Probe(target: target, address: member.address, sequence: sequence,
                      ackDeadline: now.advanced(by: probeTimeoutNanoseconds * Int64(localHealthMultiplier)))
        send(.ping(sequence: sequence, target: target), to: member.address, &out)
    }

    /// The next live member in the shuffled round-robin; reshuffles after each full round.
    private mutating func nextProbeTarget() -> NodeID? {
        var reshuffled = false
        while true {
            if probeCursor >= probeOrder.count {
                guard !reshuffled, !live.isEmpty else { return nil }
                reshuffled = true
                probeOrder = live.sorted()
                probeOrder.shuffle(using: &random)
                probeCursor = 0
            }
            let candidate = probeOrder[probeCursor]
            probeCursor += 1
            if members[candidate]?.status.isLive == true { return candidate }
        }
    }

    private mutating func sendIndirectProbes(_ now: SWIMTime, _ out: inout [SWIMDirective]) {
        guard var current = probe else { return }
        current.indirectSent = true
        let relaysChosen = randomLive(count: settings.indirectProbeCount, excluding: current.target)
        current.expectedNacks = relaysChosen.count
        probe = current
        for relay in relaysChosen {
            guard let address = members[relay]?.address else { continue }
            send(.pingRequest(sequence: current.sequence, target: current.target, targetAddress: current.address),
                 to: address, &out)
        }
    }

    /// Ends the period's probe: an unanswered probe raises local health (by the missing nacks when relays
    /// were asked, else by one) and makes the target suspect.
    private mutating func concludeProbe(_ now: SWIMTime, _ out: inout [SWIMDirective]) {
        guard let finished = probe else { return }
        probe = nil
        guard !finished.acked, let target = members[finished.target], target.status.isLive else { return }
        adjustHealth(finished.expectedNacks > 0 ? finished.expectedNacks - finished.nacks : 1)
        let suspicion = MembershipUpdate(id: target.id, address: target.address, incarnation: target.incarnation,
                                         status: .suspect, suspector: myself.id)
        apply(suspicion, from: myself.id, viaPushPull: false, now, &out)
    }

    private mutating func handleAck(_ sequence: UInt32, _ out: inout [SWIMDirective]) {
        if let current = probe, current.sequence == sequence {
            if !current.acked {
                probe?.acked = true
                adjustHealth(-1)
            }
        } else if let relay = relays.removeValue(forKey: sequence) {
            send(.ack(sequence: relay.requesterSequence), to: relay.requester, &out)
        }
    }

    private mutating func expireRelays(_ now: SWIMTime, _ out: inout [SWIMDirective]) {
        guard !relays.isEmpty else { return }
        let expired = relays.filter { $0.value.deadline <= now }.keys.sorted()
        for sequence in expired {
            guard let relay = relays.removeValue(forKey: sequence) else { continue }
            send(.nack(sequence: relay.requesterSequence), to: relay.requester, &out)
        }
    }

    private mutating func adjustHealth(_ delta: Int) {
        localHealth = min(max(0, localHealth + delta), max(0, settings.maxLocalHealthMultiplier - 1))
    }

    // MARK: Membership state

    /// Applies one update learned from `from` (gossip, push-pull, leave, or this node's own verdict).
    private mutating func apply(_ update: MembershipUpdate, from: NodeID, viaPushPull: Bool, _ now: SWIMTime,
                                _ out: inout [SWIMDirective]) {
        if update.id == myself.id {
            applyAboutMyself(update)
            return
        }
        var status = update.status
        // Anti-entropy reports a death second hand: suspect instead, and let the member refute.
        if viaPushPull && status == .dead { status = .suspect }
        let suspector = status == .suspect ? (viaPushPull ? from : update.suspector ?? from) : nil
        let previous = members[update.id]
        if let previous {
            if status == .suspect, previous.status == .suspect, update.incarnation == previous.incarnation,
               let suspector {
                confirmSuspicion(of: previous, by: suspector)
                return
            }
            let candidate = MembershipUpdate(id: update.id, address: update.address, incarnation: update.incarnation,
                                             status: status)
            guard candidate.overrides(incarnation: previous.incarnation, status: previous.status) else { return }
        }
        var member = previous ?? Member(id: update.id, address: update.address)
        // Only a newer incarnation may move a member to another address.
        if previous == nil || update.incarnation > member.incarnation { member.address = update.address }
        member.incarnation = update.incarnation
        member.status = status
        if let metadata = update.metadata { member.metadata = metadata }
        setState(member, previous: previous, suspector: suspector, now, &out)
    }

    private mutating func applyAboutMyself(_ update: MembershipUpdate) {
        guard !leaving else { return }
        switch update.status {
        case .alive:
            if update.incarnation > myself.incarnation { refute(beyond: update.incarnation) }
        case .suspect, .dead:
            if update.incarnation >= myself.incarnation {
                refute(beyond: update.incarnation)
                adjustHealth(1)
            }
        case .left:
            if update.incarnation >= myself.incarnation { refute(beyond: update.incarnation) }
        }
    }

    /// Raises this node's incarnation above `incarnation` and disseminates that it is alive.
    private mutating func refute(beyond incarnation: UInt64) {
        myself.incarnation = incarnation &+ 1
        gossip.enqueue(update(for: myself, suspector: nil))
    }

    private mutating func confirmSuspicion(of member: Member, by suspector: NodeID) {
        guard var suspicion = suspicions[member.id], suspicion.incarnation == member.incarnation,
              suspicion.suspectors.insert(suspector).inserted else { return }
        suspicion.recomputeDeadline()
        suspicions[member.id] = suspicion
        gossip.enqueue(update(for: member, suspector: suspector))
    }

    /// Records a member's new state with everything that hangs off it: live set, probe order, suspicion
    /// timer, tombstone, gossip and the change event.
    private mutating func setState(_ member: Member, previous: Member?, suspector: NodeID?, _ now: SWIMTime,
                                   _ out: inout [SWIMDirective]) {
        let id = member.id
        members[id] = member
        let wasLive = previous?.status.isLive ?? false
        if member.status.isLive && !wasLive {
            addLive(id)
        } else if !member.status.isLive && wasLive {
            removeLive(id)
        }
        if member.status == .suspect {
            let bounds = settings.suspicionBounds(memberCount: liveMemberCount)
            let expected = min(settings.suspicionConfirmations, max(0, liveMemberCount - 2))
            var suspicion = Suspicion(incarnation: member.incarnation, start: now, suspectors: [suspector ?? myself.id],
                                      minimum: bounds.min, maximum: bounds.max, expected: expected, deadline: now)
            suspicion.recomputeDeadline()
            suspicions[id] = suspicion
        } else {
            suspicions[id] = nil
        }
        if member.status.isLive {
            tombstones[id] = nil
        } else {
            tombstones[id] = now.advanced(by: tombstoneNanoseconds)
        }
        gossip.enqueue(update(for: member, suspector: member.status == .suspect ? suspector : nil))
        if previous?.status != member.status || previous?.address != member.address
            || previous?.metadata != member.metadata {
            out.append(.memberChanged(member, previous: previous?.status))
        }
    }

    private mutating func expireSuspicions(_ now: SWIMTime, _ out: inout [SWIMDirective]) {
        guard !suspicions.isEmpty else { return }
        let expired = suspicions.filter { $0.value.deadline <= now }.keys.sorted()
        for id in expired {
            guard let suspicion = suspicions[id], let member = members[id], member.status == .suspect,
                  member.incarnation == suspicion.incarnation else {
                suspicions[id] = nil
                continue
            }
            var dead = member
            dead.status = .dead
            setState(dead, previous: member, suspector: nil, now, &out)
        }
    }

    private mutating func expireTombstones(_ now: SWIMTime, _ out: inout [SWIMDirective]) {
        guard !tombstones.isEmpty else { return }
        let expired = tombstones.filter { $0.value <= now }.keys.sorted()
        for id in expired {
            tombstones[id] = nil
            guard let member = members[id], !member.status.isLive else { continue }
            members[id] = nil
            out.append(.memberForgotten(id))
        }
    }

    private mutating func addLive(_ id: NodeID) {
        guard liveIndex[id] == nil else { return }
        liveIndex[id] = live.count
        live.append(id)
        // A new member joins the current round at a random place, as in SWIM's round-robin probing.
        let position = Int.random(in: probeCursor...probeOrder.count, using: &random)
        probeOrder.insert(id, at: position)
    }

    private mutating func removeLive(_ id: NodeID) {
        guard let index = liveIndex.removeValue(forKey: id) else { return }
        let last = live.removeLast()
        if index < live.count {
            live[index] = last
            liveIndex[last] = index
        }
    }

    /// Up to `count` distinct random live members other than `excluded`.
    private mutating func randomLive(count: Int, excluding excluded: NodeID?) -> [NodeID] {
        let available = live.count - (excluded.map { liveIndex[$0] != nil ? 1 : 0 } ?? 0)
        guard count > 0, available > 0 else { return [] }
        if available <= count { return live.filter { $0 != excluded } }
        var chosen: [NodeID] = []
        var seen: Set<Int> = []
        while chosen.count < count {
            let index = Int.random(in: 0..<live.count, using: &random)
            guard live[index] != excluded, seen.insert(index).inserted else { continue }
            chosen.append(live[index])
        }
        return chosen
    }

    // MARK: Sending

    private mutating func send(_ message: SWIMMessage, to address: PeerAddress, _ out: inout [SWIMDirective]) {
        let limit = min(settings.maxGossipPerMessage, SWIMCodec.Limits.maxGossip)
        var piggyback: [MembershipUpdate] = []
        // Lifeguard's buddy system: a suspected target hears about its suspicion on the probe itself.
        if case let .ping(_, target) = message, members[target]?.status == .suspect,
           let pending = gossip.pending(for: target) ?? members[target].map({ update(for: $0, suspector: myself.id) }) {
            piggyback.append(pending)
        }
        let taken = gossip.take(limit - piggyback.count,
                                retransmitLimit: settings.retransmitLimit(memberCount: liveMemberCount))
        piggyback.append(contentsOf: piggyback.isEmpty ? taken : taken.filter { $0.id != piggyback[0].id })
        let envelope = SWIMEnvelope(sender: myself.id, senderAddress: myself.address, message: message, gossip: piggyback)
        out.append(.send(envelope, to: address))
    }

    private mutating func sendJoin(_ now: SWIMTime, _ out: inout [SWIMDirective]) {
        guard !seeds.isEmpty, !leaving else {
            nextJoinAttempt = nil
            return
        }
        let state = SWIMMessage.PushPull(isResponse: false, join: true, members: fullState())
        for seed in seeds { send(.pushPull(state), to: seed, &out) }
        nextJoinAttempt = now.advanced(by: joinRetryNanoseconds)
    }

    /// This node's whole view for push-pull, itself first, capped at the codec's member limit.
    private func fullState() -> [MembershipUpdate] {
        var state = [update(for: myself, suspector: nil, withMetadata: true)]
        for member in members.values.sorted(by: { $0.id < $1.id }) {
            guard state.count < SWIMCodec.Limits.maxPushPullMembers else { break }
            state.append(update(for: member, suspector: nil, withMetadata: true))
        }
        return state
    }

    private func update(for member: Member, suspector: NodeID?, withMetadata: Bool = false) -> MembershipUpdate {
        MembershipUpdate(id: member.id, address: member.address, incarnation: member.incarnation, status: member.status,
                         metadata: withMetadata || member.status == .alive ? member.metadata : nil,
                         suspector: member.status == .suspect ? suspector : nil)
    }

    private mutating func nextSequence() -> UInt32 {
        sequence &+= 1
        return sequence
    }

    /// Emits `setTimer` when the earliest pending deadline changed.
    private mutating func reschedule(_ out: inout [SWIMDirective]) {
        var earliest: SWIMTime? = nil
        func consider(_ time: SWIMTime?) {
            guard let time else { return }
            if let current = earliest, current <= time { return }
            earliest = time
        }
        if let current = probe, !current.acked, !current.indirectSent { consider(current.ackDeadline) }
        consider(nextProbe)
        consider(nextPushPull)
        consider(nextJoinAttempt)
        consider(nextReconnect)
        // Gossip waits only while there is something to spread; a due time in the past sends at once.
        if gossip.count > 0 { consider(nextGossip) }
        for relay in relays.values { consider(relay.deadline) }
        for suspicion in suspicions.values { consider(suspicion.deadline) }
        for expiry in tombstones.values { consider(expiry) }
        if let earliest, earliest != scheduled {
            scheduled = earliest
            out.append(.setTimer(earliest))
        }
    }
}
