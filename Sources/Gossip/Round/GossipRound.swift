import SwarmBase

/// One node's Dec-LoRA gossip rounds, as a pure state machine in the style of `SWIMInstance`.
///
/// Events go in (`start`, `localStepsDone`, `factorsReceived`, `membersChanged`, `tick`), each with the
/// current time from the driver's injected clock (nanoseconds); directives come out (run local steps,
/// send factors, keep a payload, mix with these weights, persist, round complete, set a timer, a frame
/// was dropped). No I/O and no arithmetic on factors: the machine decides who is mixed and with what
/// weight, the driver (the node over the transport, or the scenario simulator in virtual time) does the
/// rest.
///
/// A round r: the node runs K local steps (`localSteps`), then locks the round's neighbour set from its
/// membership view with the settings' `NeighbourRule`, sends its round-r factors to every neighbour with
/// its degree d_i (the set's size), and waits (`waiting`) until every neighbour's round-r factors have
/// arrived, the neighbour has left or is known to be past r, or the deadline passes. It then mixes with
/// Metropolis-Hastings weights w_ij = 1 / (1 + max(d_i, d_j)) over the neighbours that arrived (d_j from
/// their frames, so both ends compute the same weight) and w_ii = 1 − Σ w_ij: a missing neighbour's
/// weight stays with the node. The set is never widened after the lock, so Σ w_ij ≤ d_i / (1 + d_i).
///
/// Frames: for the current round before the lock, or a future round (a neighbour ahead), they are held
/// (bounded) and judged at that round's lock; for the round being waited on they are mixed if the
/// sender is in the locked set; after the mix they are late (from a neighbour that missed the deadline)
/// or stale (anything older); a second copy of a (sender, round) is a duplicate (or conflicting, when
/// its digest differs). Nothing dropped is silent: each gets a `dropped` directive and a count.
///
/// Catch-up: a round is over for a neighbour once any later frame of its has been heard (frames of
/// one sender go out in round order), so it is not waited for. After mixing round r the node goes on
/// to max(r + 1, the round a majority of its current neighbours have reached), skipping the rounds
/// between; and when it locks a round while every neighbour is already past it (it rejoined behind),
/// it relabels the local steps it just ran as that majority round instead of sending factors nobody
/// will mix. The majority, not the highest: a round number is only a claim, and a minority of
/// neighbours claiming a far-future round (hostile, or alone ahead) must not push the node, and
/// through it the swarm, to the end of training. A node ahead never goes back: it carries on alone
/// until its neighbours reach its round.
public struct GossipRound: Sendable {
    /// Where the node is in its current round.
    public enum Phase: Hashable, Sendable {
        /// Created, `start` not called yet.
        case idle
        /// Running the round's local steps.
        case localSteps
        /// Factors sent; waiting for the neighbours' until the deadline.
        case waiting
    }

    public let id: NodeID
    public let settings: RoundSettings
    /// The current round.
    public private(set) var round: UInt64
    public private(set) var phase: Phase = .idle
    /// The membership view: alive members in id order, this node included.
    public private(set) var alive: [NodeID]
    /// Counts over the machine's whole life.
    public private(set) var totals = RoundCounts()
    /// The deadline the next lock will use (fixed, or adaptive within its bounds).
    public private(set) var deadline: Duration

    private var counts = RoundCounts()
    /// The highest round heard from each alive member (valid frames only).
    private var heard: [NodeID: UInt64] = [:]
    /// Held frames for rounds not locked yet: round → sender → frame.
    private var early: [UInt64: [NodeID: Frame]] = [:]
    private var earlyCount = 0
    private var wait: Wait?
    private var last: Finished?
    private var arrivals = ArrivalTimes()
    private var scheduled: Deadline?

    private struct Frame {
        var degree: Int
        var digest: Digest32
        /// False once the driver refused the payload (`factorsRefused`): heard, but not mixed.
        var acceptable = true
    }

    /// The locked round being waited on.
    private struct Wait {
        var round: UInt64
        var degree: Int
        var neighbours: [NodeID]
        var arrived: [NodeID: Frame] = [:]
        var departed: Set<NodeID> = []
        var passedBy: Set<NodeID> = []
        var sentAt: UInt64
        var deadline: Deadline
        var duration: Duration

        /// Neighbours still waited for.
        var pending: [NodeID] {
            neighbours.filter { arrived[$0] == nil && !departed.contains($0) && !passedBy.contains($0) }
        }
    }

    /// The last mixed round, to tell late frames from replays and stale ones.
    private struct Finished {
        var round: UInt64
        var arrived: [NodeID: Digest32]
        var missing: Set<NodeID>
        var sentAt: UInt64
    }

    /// Creates a node's round machine.
    /// - Parameters:
    ///   - round: the round to start in (after a restart: one past the last persisted round).
    ///   - alive: the initial membership view (this node is added if absent).
    public init(id: NodeID, settings: RoundSettings = RoundSettings(), round: UInt64 = 1, alive: [NodeID] = []) {
        self.id = id
        self.settings = settings
        self.round = round
        self.alive = Array(Set(alive).union([id])).sorted()
        if let adaptive = settings.adaptiveDeadline {
            deadline = ArrivalTimes().deadline(adaptive, fallback: settings.deadline)
        } else {
            deadline = settings.deadline
        }
    }

    // MARK: Queries

    /// This node's neighbours in its current view (the set the next lock will use).
    public var neighbours: [NodeID] { settings.neighbours.neighbours(of: id, alive: alive) }

    /// The neighbours the current round still waits for (empty unless `waiting`).
    public var waitingFor: [NodeID] { wait?.pending ?? [] }

    /// The degree the current round was locked with (nil unless `waiting`).
    public var lockedDegree: Int? { wait?.degree }

    /// The highest round heard from `id` since it (re)joined this node's view.
    public func heardRound(of id: NodeID) -> UInt64? { heard[id] }

    // MARK: Events

    /// Starts the first round's local steps.
    public mutating func start(now: UInt64) -> [RoundDirective] {
        guard phase == .idle else { return [] }
        phase = .localSteps
        return [.startLocalSteps(round: round)]
    }

    /// The driver finished the local steps of `round`: lock the round, send, wait. Ignored unless the
    /// machine is running that round's local steps.
    public mutating func localStepsDone(round done: UInt64, now: UInt64) -> [RoundDirective] {
        guard phase == .localSteps, done == round else { return [] }
        var out: [RoundDirective] = []
        lock(now, &out)
        reschedule(&out)
        return out
    }

    /// A neighbour's factors frame arrived.
    /// - Parameters:
    ///   - senderDegree: the degree the frame carries (the sender's neighbour count for that round).
    ///   - digest: a digest of the frame's payload, to tell a replay from a conflicting second frame.
    ///   - acceptable: false when the driver refused the payload's content on arrival (wrong length, not
    ///     finite, norm out of bounds: `Consensus.FactorAcceptance`). Such a frame is classified like
    ///     any other (a refused duplicate is still a duplicate), but where it would be kept it is dropped
    ///     as `unacceptable` instead: never mixed, its sender no longer waited for that round (the
    ///     weight stays with this node), and a later copy is a duplicate.
    public mutating func factorsReceived(from sender: NodeID, round frameRound: UInt64, senderDegree: Int,
                                         digest: Digest32, acceptable: Bool = true, now: UInt64) -> [RoundDirective] {
        var out: [RoundDirective] = []
        expireIfDue(now, &out)
        guard sender != id, senderDegree >= 1 else {
            drop(sender, frameRound, .invalid, &out)
            return out
        }
        if alive.contains(sender) { heard[sender] = max(heard[sender] ?? frameRound, frameRound) }
        let frame = Frame(degree: senderDegree, digest: digest, acceptable: acceptable)
        if phase == .waiting, var current = wait, frameRound == current.round {
            if !current.neighbours.contains(sender) || current.departed.contains(sender) {
                drop(sender, frameRound, .notNeighbour, &out)
            } else if let first = current.arrived[sender] {
                drop(sender, frameRound, first.digest == digest ? .duplicate : .conflicting, &out)
            } else {
                current.arrived[sender] = frame
                wait = current
                keep(frame, from: sender, frameRound, &out)
                arrivals.record(round: frameRound, nanoseconds: elapsed(since: current.sentAt, now), window: window)
            }
        } else if frameRound > round || (frameRound == round && phase != .waiting) {
            if let first = early[frameRound]?[sender] {
                drop(sender, frameRound, first.digest == digest ? .duplicate : .conflicting, &out)
            } else if frameRound - round > settings.maxRoundsAhead {
                drop(sender, frameRound, .tooFarAhead, &out)
            } else if earlyCount >= settings.maxBufferedFrames {
                drop(sender, frameRound, .bufferFull, &out)
            } else {
                early[frameRound, default: [:]][sender] = frame
                earlyCount += 1
                keep(frame, from: sender, frameRound, &out)
            }
            // A neighbour heard past the round being waited on will not send that round's factors.
            if phase == .waiting, var current = wait, frameRound > current.round,
               current.pending.contains(sender) {
                current.passedBy.insert(sender)
                wait = current
                bump { $0.passedBy += 1 }
            }
        } else if let finished = last, frameRound == finished.round {
            if let first = finished.arrived[sender] {
                drop(sender, frameRound, first == digest ? .duplicate : .conflicting, &out)
            } else if finished.missing.contains(sender) {
                drop(sender, frameRound, .late, &out)
                arrivals.record(round: frameRound, nanoseconds: elapsed(since: finished.sentAt, now), window: window)
                updateDeadline()
            } else {
                drop(sender, frameRound, .stale, &out)
            }
        } else {
            drop(sender, frameRound, .stale, &out)
        }
        finishIfComplete(now, &out)
        reschedule(&out)
        return out
    }

    /// The membership view changed. A neighbour that left while waited for is no longer waited for
    /// (its weight returns to self); new members become neighbours from the next lock on.
    public mutating func membersChanged(alive members: [NodeID], now: UInt64) -> [RoundDirective] {
        var out: [RoundDirective] = []
        expireIfDue(now, &out)
        alive = Array(Set(members).union([id])).sorted()
        let present = Set(alive)
        heard = heard.filter { present.contains($0.key) }
        if var current = wait {
            for neighbour in current.pending where !present.contains(neighbour) {
                current.departed.insert(neighbour)
                bump { $0.departed += 1 }
            }
            wait = current
        }
        finishIfComplete(now, &out)
        reschedule(&out)
        return out
    }

    /// Handles the deadline if it has passed and always re-requests the timer while waiting (the
    /// driver's timer has just fired). Safe to call early or late.
    public mutating func tick(now: UInt64) -> [RoundDirective] {
        var out: [RoundDirective] = []
        expireIfDue(now, &out)
        scheduled = nil
        reschedule(&out)
        return out
    }

    // MARK: The round

    private mutating func lock(_ now: UInt64, _ out: inout [RoundDirective]) {
        let locked = neighbours
        if !locked.isEmpty, locked.allSatisfy({ (heard[$0] ?? 0) > round }) {
            // Rejoined behind: nobody will send this round any more; these steps count for theirs.
            skip(to: majorityRound(of: locked), &out)
        }
        let degree = locked.count
        if degree > 0 { out.append(.send(round: round, to: locked, degree: degree)) }
        var current = Wait(round: round, degree: degree, neighbours: locked, sentAt: now,
                           deadline: Deadline(after: deadline, from: now), duration: deadline)
        let held = early.removeValue(forKey: round) ?? [:]
        earlyCount -= held.count
        for (sender, frame) in held.sorted(by: { $0.key < $1.key }) {
            if locked.contains(sender) {
                current.arrived[sender] = frame
                arrivals.record(round: round, nanoseconds: 0, window: window)
            } else if frame.acceptable {
                drop(sender, round, .notNeighbour, wasKept: true, &out)
            }
        }
        for neighbour in current.pending where (heard[neighbour] ?? 0) > round {
            current.passedBy.insert(neighbour)
            bump { $0.passedBy += 1 }
        }
        wait = current
        phase = .waiting
        finishIfComplete(now, &out)
    }

    /// Mixes the waited-on round if its deadline has passed: every event checks first, so a frame that
    /// comes after the deadline is late even when the driver's timer has not fired yet.
    private mutating func expireIfDue(_ now: UInt64, _ out: inout [RoundDirective]) {
        if let current = wait, current.deadline.hasPassed(at: now) { finish(now, expired: true, &out) }
    }

    private mutating func finishIfComplete(_ now: UInt64, _ out: inout [RoundDirective]) {
        if let current = wait, current.pending.isEmpty { finish(now, expired: false, &out) }
    }

    private mutating func finish(_ now: UInt64, expired: Bool, _ out: inout [RoundDirective]) {
        guard let current = wait else { return }
        let weights = current.arrived.filter(\.value.acceptable).sorted { $0.key < $1.key }.map { sender, frame in
            NeighbourWeight(id: sender, degree: frame.degree,
                            weight: NeighbourWeight.metropolis(current.degree, frame.degree))
        }
        let selfWeight = 1 - weights.reduce(0) { $0 + $1.weight }
        let missed = current.pending.count
        bump {
            $0.mixed += weights.count
            $0.missed += missed
        }
        out.append(.mix(RoundMix(round: current.round, degree: current.degree, selfWeight: selfWeight,
                                 neighbours: weights)))
        out.append(.persist(round: current.round))
        let next = max(current.round + 1, majorityRound(of: neighbours))
        out.append(.roundComplete(RoundSummary(round: current.round, nextRound: next, degree: current.degree,
                                               waited: .nanoseconds(Int64(clamping: elapsed(since: current.sentAt, now))),
                                               deadline: current.duration, deadlineExpired: expired, counts: counts)))
        counts = RoundCounts()
        last = Finished(round: current.round, arrived: current.arrived.mapValues(\.digest),
                        missing: Set(current.neighbours).subtracting(current.arrived.keys), sentAt: current.sentAt)
        wait = nil
        out.append(.release(throughRound: current.round))
        round = current.round + 1
        skip(to: next, &out)
        updateDeadline()
        phase = .localSteps
        out.append(.startLocalSteps(round: round))
    }

    /// The round a majority of `members` have been heard at: the (⌊d/2⌋ + 1)-th highest of their
    /// heard rounds (0 for one not heard), so fewer than half of them cannot raise it.
    private func majorityRound(of members: [NodeID]) -> UInt64 {
        let rounds = members.map { heard[$0] ?? 0 }.sorted(by: >)
        return rounds.isEmpty ? 0 : rounds[rounds.count / 2]
    }

    /// Moves the current round forward to `target`, dropping the frames held for the rounds skipped.
    private mutating func skip(to target: UInt64, _ out: inout [RoundDirective]) {
        guard target > round else { return }
        for skipped in early.keys.filter({ $0 < target }).sorted() {
            let held = early.removeValue(forKey: skipped) ?? [:]
            earlyCount -= held.count
            for (sender, frame) in held.sorted(by: { $0.key < $1.key }) where frame.acceptable {
                drop(sender, skipped, .stale, wasKept: true, &out)
            }
        }
        out.append(.release(throughRound: target - 1))
        round = target
    }

    // MARK: Helpers

    private var window: Int { settings.adaptiveDeadline?.window ?? 1 }

    private mutating func updateDeadline() {
        guard let adaptive = settings.adaptiveDeadline else { return }
        deadline = arrivals.deadline(adaptive, fallback: settings.deadline)
    }

    private mutating func keep(_ frame: Frame, from sender: NodeID, _ round: UInt64, _ out: inout [RoundDirective]) {
        if frame.acceptable {
            out.append(.keep(from: sender, round: round))
        } else {
            drop(sender, round, .unacceptable, &out)
        }
    }

    private mutating func drop(_ sender: NodeID, _ round: UInt64, _ reason: DropReason, wasKept: Bool = false,
                               _ out: inout [RoundDirective]) {
        bump { $0.count(reason) }
        out.append(.dropped(DroppedFrame(sender: sender, round: round, reason: reason, wasKept: wasKept)))
    }

    private mutating func bump(_ change: (inout RoundCounts) -> Void) {
        change(&counts)
        change(&totals)
    }

    private func elapsed(since start: UInt64, _ now: UInt64) -> UInt64 { now >= start ? now - start : 0 }

    /// Emits `setTimer` when the round's deadline is not the one already requested.
    private mutating func reschedule(_ out: inout [RoundDirective]) {
        guard let current = wait, current.deadline != scheduled else { return }
        scheduled = current.deadline
        out.append(.setTimer(current.deadline))
    }
}
