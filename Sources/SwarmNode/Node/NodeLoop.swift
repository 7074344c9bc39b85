import Exchange
import Consensus
import Gossip
import Hashing
import Store
import SwarmBase
import Transport

/// The node thread: feeds the round machine its events and carries out its directives — local
/// training steps, sending factors, holding received payloads, the Dec-LoRA mix, checkpoints.
struct NodeLoop {
    let runtime: NodeRuntime
    private var machine: GossipRound
    /// Received payloads the machine asked to keep, by round and sender.
    private var kept: [UInt64: [NodeID: [Float]]] = [:]
    private var timer: Deadline = .never
    private var stopping = false
    private var failure: String?
    private var completed = 0
    private var lastRound: UInt64 = 0
    /// The current round's bookkeeping (for its line and the store).
    private var roundLoss: Double?
    private var roundStarted: UInt64 = 0
    private var bytesSent = 0
    private var bytesReceived = 0
    private var consensusEstimate: Double?
    /// The round's relative product gap (`ProductGap.relative`), nil when no neighbour was mixed.
    private var productGap: Double?
    private var refused = 0
    private var mixedWith: [NodeID] = []
    /// Nanoseconds of exchange work this round (encode, queue, decode, checks, mix), and when the
    /// round's factors went out.
    private var exchangeNanoseconds: UInt64 = 0
    private var sentAt: UInt64?
    private var waitNanoseconds: UInt64 = 0
    /// The factors frame last sent, its round and the neighbours it was for, and the one of the
    /// round before: both are sent again to one of those neighbours on every new connection to it,
    /// the older first (a frame written to a replaced connection may be lost, and a neighbour not
    /// connected at send time is dialed, not waited for; the receiver's machine drops a second copy
    /// as a duplicate, one it no longer needs as stale). The round before as well, because this
    /// node may have mixed a round and moved on while its frame of that round to a neighbour was
    /// lost with a connection the dial race replaced, and that neighbour may still be waiting for it.
    private var lastSent: (round: UInt64, body: [UInt8], peers: Set<NodeID>)?
    private var previousSent: (round: UInt64, body: [UInt8], peers: Set<NodeID>)?
    /// ‖own factors‖ until they next change (local steps or a mix), for the acceptance checks.
    private var ownNorm: Double?

    init(runtime: NodeRuntime) {
        self.runtime = runtime
        machine = GossipRound(id: runtime.nodeID, settings: runtime.machineSettings)
    }

    mutating func run(startRound: UInt64) -> NodeOutcome {
        let wanted = runtime.configuration.waitForMembers
        let until = Deadline(after: runtime.configuration.waitForMembersTimeout, from: MonotonicClock.now())
        while wanted > 0 && runtime.aliveMembers.count < wanted && !until.hasPassed(at: MonotonicClock.now()) && !stopping {
            // Frames that arrive meanwhile (neighbours already running) stay queued for the machine.
            for event in runtime.peek(until: MonotonicClock.now() + 50_000_000) where event == .stop { stopping = true }
        }
        if wanted > 0 && runtime.aliveMembers.count < wanted && !stopping {
            // The first rounds' neighbour sets may differ between nodes until every view agrees.
            runtime.report(.warning("starting round \(startRound) seeing \(runtime.aliveMembers.count) of the \(wanted) other members waited for (--wait-for); gave up after \(Int(runtime.configuration.waitForMembersTimeout.seconds)) s"))
        }
        machine = GossipRound(id: runtime.nodeID, settings: runtime.machineSettings, round: startRound,
                              alive: runtime.aliveMembers)
        lastRound = startRound - 1
        var work = machine.start(now: MonotonicClock.now())
        while !stopping {
            let localSteps = execute(work)
            work = []
            if let round = localSteps, !stopping {
                roundStarted = MonotonicClock.now()
                do {
                    roundLoss = try runtime.trainLocalSteps()
                    ownNorm = nil
                } catch {
                    failure = "training failed in round \(round): \(error)"
                    runtime.report(.warning(failure!))
                    break
                }
                // Frames that came in while training are handled before the lock.
                work += handle(runtime.take(until: 0))
                work += machine.localStepsDone(round: round, now: MonotonicClock.now())
                continue
            }
            if stopping { break }
            let wake = min(timer.nanoseconds, MonotonicClock.now() + 200_000_000)
            let events = runtime.take(until: wake)
            work += handle(events)
            if timer.hasPassed(at: MonotonicClock.now()) {
                timer = .never
                work += machine.tick(now: MonotonicClock.now())
            }
        }
        return NodeOutcome(lastRound: lastRound, roundsCompleted: completed, stopped: failure == nil && !roundsDone,
                           failure: failure)
    }

    /// Whether the last round asked for is complete (`rounds` counts from round 1, across
    /// restarts: a node resumed at round 5 of 8 runs 4 more).
    private var roundsDone: Bool {
        guard let rounds = runtime.configuration.rounds else { return false }
        return lastRound >= UInt64(rounds)
    }

    // MARK: Events

    private mutating func handle(_ events: [NodeEvent]) -> [RoundDirective] {
        var out: [RoundDirective] = []
        var membersChanged = false
        for event in events {
            switch event {
            case .stop: stopping = true
            case .membersChanged: membersChanged = true
            case .connected(let peer): resend(to: peer)
            case .factors(let payload):
                let began = MonotonicClock.now()
                out += received(payload)
                exchangeNanoseconds &+= MonotonicClock.now() &- began
            case let .refusedByTransport(peer, why):
                // Never reached the machine (its round is unknown): logged so the store says why.
                refused += 1
                log(peer, round: 0, direction: .received, bytes: 0, norm: 0, accepted: false,
                    reason: "connection closed by the transport: \(why)")
            }
        }
        if membersChanged { out += machine.membersChanged(alive: runtime.aliveMembers, now: MonotonicClock.now()) }
        return out
    }

    /// Decodes and checks a factors frame, then tells the machine (which decides whether it is
    /// mixed). Every refusal is logged with its reason.
    private mutating func received(_ payload: Payload) -> [RoundDirective] {
        bytesReceived += payload.body.count
        let now = MonotonicClock.now()
        let message: FactorsMessage
        do {
            message = try FactorsMessage.decode(payload.body, sender: payload.sender)
        } catch {
            refused += 1
            log(payload.sender, round: 0, direction: .received, bytes: payload.body.count, norm: 0, accepted: false,
                reason: ExchangeRefusal.undecodable(error.description).description)
            return []
        }
        let digest = SHA256.hash(payload.body)
        var values: [Float]?
        var refusal: String?
        switch runtime.exchanged.vector(of: message) {
        case .failure(let why): refusal = why.description
        case .success(let v):
            if ownNorm == nil { ownNorm = Mixing.norm(runtime.exchanged.vector(of: runtime.parameters)) }
            if let why = runtime.configuration.acceptance.check(v, expectedCount: runtime.exchanged.count, ownNorm: ownNorm!) {
                refusal = ExchangeRefusal.values(why.description).description
            } else {
                values = v
            }
        }
        if let refusal {
            refused += 1
            log(payload.sender, round: message.round, direction: .received, bytes: payload.body.count, norm: 0,
                accepted: false, reason: refusal)
        }
        var out = machine.factorsReceived(from: payload.sender, round: message.round, senderDegree: message.degree,
                                          digest: digest, acceptable: values != nil, now: now)
        // `keep` refers to this frame: hold its values until the mix or a release.
        out = out.filter { directive in
            if case let .keep(from, round) = directive, from == payload.sender, round == message.round, let values {
                kept[round, default: [:]][from] = values
                log(from, round: round, direction: .received, bytes: payload.body.count, norm: Mixing.norm(values),
                    accepted: true, reason: nil)
                return false
            }
            return true
        }
        return out
    }

    // MARK: Directives

    /// Carries out directives; returns the round whose local steps are to run next, if asked.
    private mutating func execute(_ directives: [RoundDirective]) -> UInt64? {
        var localSteps: UInt64?
        var queue = directives[...]
        while let directive = queue.popFirst() {
            switch directive {
            case .startLocalSteps(let round):
                if roundsDone { stopping = true; return nil }
                localSteps = round
            case let .send(round, peers, degree):
                let began = MonotonicClock.now()
                sentAt = began
                send(round: round, to: peers, degree: degree)
                exchangeNanoseconds &+= MonotonicClock.now() &- began
            case .keep:
                break  // handled where the frame arrived
            case .mix(let mix):
                let began = MonotonicClock.now()
                if let sentAt { waitNanoseconds = began &- sentAt }
                apply(mix)
                exchangeNanoseconds &+= MonotonicClock.now() &- began
            case .persist:
                break  // saved with the round's summary below, in one transaction
            case .roundComplete(let summary):
                complete(summary)
                if roundsDone { stopping = true }
            case .release(let through):
                kept = kept.filter { $0.key > through }
            case .setTimer(let deadline):
                timer = deadline
            case .dropped(let frame):
                if frame.wasKept { kept[frame.round]?[frame.sender] = nil }
                // An unacceptable frame was logged with its refusal's reason when it arrived: once.
                if frame.reason == .unacceptable { break }
                log(frame.sender, round: frame.round, direction: .received, bytes: 0, norm: 0, accepted: false,
                    reason: "not mixed: \(frame.reason.rawValue)")
            }
        }
        return localSteps
    }

    private mutating func send(round: UInt64, to peers: [NodeID], degree: Int) {
        let body: [UInt8]
        do {
            body = try runtime.exchanged.message(round: round, sender: runtime.nodeID, degree: degree,
                                                 parameters: runtime.parameters).encoded()
        } catch {
            failure = "cannot encode this node's factors: \(error)"
            stopping = true
            return
        }
        previousSent = lastSent
        lastSent = (round, body, Set(peers))
        for peer in peers {
            do {
                switch try runtime.send(body, round: round, to: peer) {
                case .queued:
                    bytesSent += body.count
                    log(peer, round: round, direction: .sent, bytes: body.count, norm: 0, accepted: true, reason: nil)
                case .dialing:
                    // `resend(to:)` sends it when the connection is up.
                    log(peer, round: round, direction: .sent, bytes: 0, norm: 0, accepted: false,
                        reason: "not connected: dialing, sent when the connection is up")
                }
            } catch {
                // The neighbour misses this round's factors from us; its deadline handles it.
                log(peer, round: round, direction: .sent, bytes: 0, norm: 0, accepted: false, reason: "send failed: \(error)")
            }
        }
    }

    /// Sends the last two rounds' frames again to `peer` on its new connection, the older first.
    private mutating func resend(to peer: NodeID) {
        // Also after this node mixed the round: the neighbour may still be waiting for it (a copy
        // it has is a duplicate there, one it no longer needs is late or stale: dropped, logged).
        for sent in [previousSent, lastSent].compactMap({ $0 }) where sent.peers.contains(peer) {
            do {
                guard try runtime.send(sent.body, round: sent.round, to: peer, resend: true) == .queued else { return }  // dropped again: the next connect re-sends
                bytesSent += sent.body.count
                log(peer, round: sent.round, direction: .sent, bytes: sent.body.count, norm: 0, accepted: true,
                    reason: "sent on a new connection")
            } catch {
                log(peer, round: sent.round, direction: .sent, bytes: 0, norm: 0, accepted: false,
                    reason: "re-send failed: \(error)")
            }
        }
    }

    private mutating func apply(_ mix: RoundMix) {
        let own = runtime.exchanged.vector(of: runtime.parameters)
        let payloads = kept[mix.round] ?? [:]
        var neighbours: [(values: [Float], weight: Double)] = []
        var distance = 0.0
        for n in mix.neighbours {
            guard let values = payloads[n.id] else { continue }
            neighbours.append((values, n.weight))
            mixedWith.append(n.id)
            distance += runtime.exchanged.squaredDistance(values, own, parameters: runtime.parameters)
        }
        consensusEstimate = neighbours.isEmpty ? nil : distance / Double(neighbours.count)
        let (mixed, gap) = runtime.exchanged.mix(own: own, selfWeight: mix.selfWeight, neighbours: neighbours,
                                                 parameters: runtime.parameters)
        productGap = neighbours.isEmpty ? nil : gap.relative
        runtime.exchanged.write(mixed, into: runtime.parameters)
        ownNorm = nil
    }

    private mutating func complete(_ summary: RoundSummary) {
        let now = MonotonicClock.now()
        let seconds = Double(now &- roundStarted) / 1e9
        let line = RoundLine(round: summary.round, loss: roundLoss, mixed: summary.counts.mixed, neighbours: summary.degree,
                             late: summary.counts.late + summary.counts.missed, refused: refused,
                             bytesSent: bytesSent, bytesReceived: bytesReceived,
                             consensusEstimate: consensusEstimate, productGap: productGap, seconds: seconds,
                             exchangeSeconds: Double(exchangeNanoseconds) / 1e9, waitSeconds: Double(waitNanoseconds) / 1e9)
        let record = RoundRecord(round: Int64(summary.round), loss: roundLoss ?? 0, consensusEstimate: consensusEstimate,
                                 neighbours: mixedWith, bytesSent: Int64(bytesSent), bytesReceived: Int64(bytesReceived),
                                 seconds: seconds, productGap: productGap)
        do {
            try runtime.saveCheckpoint(record)
        } catch {
            // The previous checkpoint is intact; say so and go on training (the next round retries).
            runtime.report(.warning("round \(summary.round): checkpoint not saved, the previous one is intact: \(error)"))
        }
        completed += 1
        lastRound = summary.round
        runtime.report(.round(line))
        roundLoss = nil
        bytesSent = 0
        bytesReceived = 0
        consensusEstimate = nil
        productGap = nil
        refused = 0
        mixedWith = []
        exchangeNanoseconds = 0
        waitNanoseconds = 0
        sentAt = nil
    }

    private func log(_ peer: NodeID, round: UInt64, direction: ExchangeRecord.Direction, bytes: Int, norm: Double,
                     accepted: Bool, reason: String?) {
        runtime.record(ExchangeRecord(peer: peer, round: Int64(round), direction: direction, bytes: Int64(bytes),
                                      norm: norm, accepted: accepted, reason: reason))
    }
}
