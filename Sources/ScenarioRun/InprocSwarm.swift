import Exchange
import Foundation
import Consensus
import Gossip
import LM
import Scenario
import Store
import SwarmBase
import Train
import TrainData

/// The inproc backend's swarm: every node's `GossipRound` (the node runtime's own round machine)
/// driven in virtual time by one event queue. Local steps take a fixed virtual cost; frames cross
/// the `VirtualNetwork`; membership views follow the scenario's events after a detection delay.
/// Nodes whose local steps end at the same virtual instant train in parallel (`LocalSteps`), and
/// everything else happens in queue order, so a run is the same for a scenario and seed.
final class InprocSwarm {
    enum Event {
        case stepsDone(node: Int, generation: Int, round: UInt64)
        case deliver(to: Int, generation: Int, from: Int, claimed: NodeID, round: UInt64, degree: Int, digest: Digest32,
                     values: [Float], bytes: Int)
        case tick(node: Int, generation: Int)
        case view(node: Int, generation: Int, alive: [Int])
        case resume(node: Int)
        case scenarioEvent(index: Int)
    }

    let scenario: Scenario
    let options: InprocOptions
    let settings: RoundSettings
    let exchanged: ExchangedFactors
    let acceptance = FactorAcceptance()
    var nodes: [InprocNode]
    var network: VirtualNetwork
    var queue = EventQueue<Event>()
    var now: UInt64 = 0
    var ledger: RoundLedger
    var rounds: [Int: RunSummary.Round] = [:]
    var timeline: [RunSummary.TimelineEntry] = []
    /// Every node's exchanged vector after each round it completed (with `keepTrace`).
    var trace: [Int: [Int: [Float]]] = [:]
    /// Who each node mixed with in each round (with `keepTrace`): node → round → neighbour indices.
    var mixedWith: [Int: [Int: [Int]]] = [:]
    /// The next scenario event to happen, and whether its time is already queued.
    var nextEvent = 0
    var nextEventQueued = false
    /// The highest round any node has started: round-timed events fire when it reaches theirs.
    var highestStarted: UInt64 = 0
    var failure: InprocError?
    /// Called when an eval round closes: its figures on the test set (nil when no node completed it).
    let evaluate: (_ round: Int, _ sums: RoundLedger.Sums) throws(InprocError) -> RunSummary.Eval?
    let progress: (InprocProgress) -> Void

    var stepNanoseconds: UInt64 { UInt64((options.stepMilliseconds * 1e6).rounded()) }
    var detectionNanoseconds: UInt64 { UInt64((options.detectionMilliseconds * 1e6).rounded()) }
    var bytesPerValue: Int { scenario.gossip.wireDType == .bf16 ? 2 : 4 }

    init(scenario: Scenario, options: InprocOptions, nodes: [InprocNode], exchanged: ExchangedFactors, layout: LoRAParameters,
         evaluate: @escaping (_ round: Int, _ sums: RoundLedger.Sums) throws(InprocError) -> RunSummary.Eval?,
         progress: @escaping (InprocProgress) -> Void) {
        self.scenario = scenario
        self.options = options
        self.nodes = nodes
        self.exchanged = exchanged
        self.evaluate = evaluate
        self.progress = progress
        var s = RoundSettings()
        switch scenario.topology {
        case .rule(let t): s.neighbours = .topology(t)
        case .edges(let edges):
            s.neighbours = .explicit(Set(edges.compactMap { NeighbourEdge(.simulated($0.a), .simulated($0.b)) }))
        }
        s.deadline = .milliseconds(scenario.gossip.deadlineMilliseconds)
        s.mode = scenario.gossip.mode
        settings = s
        network = VirtualNetwork(spec: scenario.network, seed: scenario.seed)
        ledger = RoundLedger(exchanged: exchanged, layout: layout, keepNodeVectors: scenario.eval.nodes)
    }

    // MARK: The run

    /// Runs the swarm until every node is done (or the virtual time limit passes).
    func run() throws(InprocError) {
        let initial = nodes.filter(\.isRunning).map(\.index)
        for i in initial {
            nodes[i].view = initial
            nodes[i].machine = GossipRound(id: nodes[i].id, settings: settings, round: 1, alive: initial.map(NodeID.simulated))
        }
        fireDueEvents()
        for i in initial where nodes[i].isRunning { start(i) }
        let limit = UInt64(options.virtualSecondsLimit * 1e9)
        while failure == nil, let (time, event) = queue.pop() {
            if time > limit {
                timeline.append(entry(kind: "stop", node: nil, detail: "virtual time limit of \(options.virtualSecondsLimit) s reached"))
                break
            }
            now = max(now, time)
            if case .stepsDone = event {
                var batch = [event]
                while queue.nextTime == now, case .stepsDone? = queue.peekEntry { batch.append(queue.pop()!.event) }
                stepsDone(batch)
            } else {
                dispatch(event)
            }
        }
        if let failure { throw failure }
        try closeRounds(below: Int.max)
    }

    /// The round a node is in, by index (nil unless running).
    func currentRound(_ i: Int) -> UInt64? { nodes[i].isRunning ? nodes[i].machine?.round : nil }

    func start(_ i: Int) {
        guard let out = nodes[i].machine?.start(now: now) else { return }
        handle(i, out)
    }

    /// Puts an event for a paused node off until it resumes; true if it was put off.
    private func deferred(_ i: Int, _ event: Event) -> Bool {
        guard let until = nodes[i].pausedUntil, until > now else { return false }
        queue.schedule(event, at: until)
        return true
    }

    private func live(_ i: Int, _ generation: Int) -> Bool {
        nodes[i].isRunning && nodes[i].generation == generation && nodes[i].machine != nil
    }

    private func dispatch(_ event: Event) {
        switch event {
        case let .deliver(to, generation, from, claimed, round, degree, digest, values, bytes):
            guard live(to, generation), !deferred(to, event) else { return }
            deliver(to: to, from: from, claimed: claimed, round: round, degree: degree, digest: digest, values: values, bytes: bytes)
        case let .tick(i, generation):
            guard live(i, generation), !deferred(i, event) else { return }
            handle(i, nodes[i].machine!.tick(now: now))
        case let .view(i, generation, alive):
            guard live(i, generation), !deferred(i, event) else { return }
            applyView(i, alive)
        case .resume(let i):
            guard nodes[i].pausedUntil != nil else { return }
            nodes[i].pausedUntil = nil
            // Marked where the swarm is (the paused node itself is still in the round it stalled
            // before, which would put the mark before the pause).
            var resumed = entry(kind: "resume", node: i, detail: "node \(i) resumes")
            resumed.round = max(resumed.round, Int(highestStarted))
            timeline.append(resumed)
        case .scenarioEvent(let index):
            nextEventQueued = false
            fire(index)
            fireDueEvents()
        case .stepsDone:
            stepsDone([event])
        }
    }

    /// The local steps that end now: trained in parallel, then handed to the machines in queue order.
    private func stepsDone(_ events: [Event]) {
        var due: [(node: Int, round: UInt64)] = []
        for event in events {
            guard case let .stepsDone(i, generation, round) = event, live(i, generation), !deferred(i, event) else { continue }
            due.append((i, round))
        }
        let jobs = due.map { LocalSteps.Job(trainer: nodes[$0.node].trainer, data: nodes[$0.node].data, steps: scenario.gossip.localSteps) }
        let results = LocalSteps.run(jobs, workers: options.threads ?? Self.cpus)
        for ((i, round), result) in zip(due, results) {
            switch result {
            case .success(let loss): nodes[i].roundLoss = loss
            case .failure(let e):
                failure = .compute(what: "node \(i), round \(round), local steps", reason: e.description)
                return
            }
        }
        for (i, round) in due where live(i, nodes[i].generation) {
            handle(i, nodes[i].machine!.localStepsDone(round: round, now: now))
        }
    }

    static var cpus: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    // MARK: Frames

    private func deliver(to i: Int, from: Int, claimed: NodeID, round: UInt64, degree: Int, digest: Digest32,
                         values: [Float], bytes: Int) {
        let node = nodes[i]
        node.bytesReceived += bytes
        let own = exchanged.vector(of: node.trainer.lora)
        let refusal = acceptance.check(values, expectedCount: own.count, ownNorm: Mixing.norm(own))
        if let refusal {
            node.exchangeRecords.append(ExchangeRecord(peer: claimed, round: Int64(round), direction: .received, bytes: Int64(bytes), norm: 0,
                                                       accepted: false, reason: ExchangeRefusal.values(refusal.description).description))
        }
        var out = node.machine!.factorsReceived(from: claimed, round: round, senderDegree: degree, digest: digest,
                                                acceptable: refusal == nil, now: now)
        out = out.filter { directive in
            if case let .keep(sender, r) = directive, sender == claimed, r == round {
                node.kept[r, default: [:]][sender] = values
                node.exchangeRecords.append(ExchangeRecord(peer: sender, round: Int64(r), direction: .received, bytes: Int64(bytes),
                                                           norm: Mixing.norm(values), accepted: true, reason: nil))
                return false
            }
            return true
        }
        handle(i, out)
    }

    private func send(_ i: Int, round: UInt64, to peers: [NodeID], degree: Int) {
        let node = nodes[i]
        let honest = exchanged.vector(of: node.trainer.lora)
        // A node behind (restarted) sending for a round the swarm has closed: not re-measured.
        if rounds[Int(round)] == nil { ledger.sent(round: Int(round), vector: honest) }
        var values = scenario.gossip.wireDType == .bf16 ? honest.map(BFloat.round) : honest
        var frameRound = round
        var frameDegree = degree
        var claimed = node.id
        switch node.hostile {
        case nil: break
        case .nan?: values = values.map { _ in .nan }
        case .hugeNorm?: values = values.map { $0 * 1e6 + 1 }
        case .wrongShape?: values.removeLast()
        case .forgedSender?: claimed = .simulated((i + 1) % nodes.count)
        case .replay?:
            if let last = node.lastSent { (frameRound, values, frameDegree) = (last.round, last.values, last.degree) }
        }
        if node.replays && (node.hostile != .replay || node.lastSent == nil) { node.lastSent = (round, values, degree) }
        let bytes = values.count * bytesPerValue
        let digest = Self.digest(sender: claimed, round: frameRound, generation: node.generation, values: values)
        for peer in peers {
            let j = peer.simulatedIndex
            node.bytesSent += bytes
            node.exchangeRecords.append(ExchangeRecord(peer: peer, round: Int64(round), direction: .sent, bytes: Int64(bytes), norm: 0,
                                                       accepted: true, reason: nil))
            guard let at = network.arrival(from: i, to: j, bytes: bytes, now: now) else { continue }
            queue.schedule(.deliver(to: j, generation: nodes[j].generation, from: i, claimed: claimed, round: frameRound,
                                    degree: frameDegree, digest: digest, values: values, bytes: bytes), at: at)
        }
    }

    /// A frame's digest: XXH64 of its values with the sender, round and life, so a replay is a
    /// duplicate and a restarted node's new frame for the same round is a conflicting one.
    static func digest(sender: NodeID, round: UInt64, generation: Int, values: [Float]) -> Digest32 {
        let h = values.withUnsafeBytes { XXH64.hash($0, seed: round ^ UInt64(generation) << 48) }
        var bytes = sender.digest.bytes
        for k in 0..<8 { bytes[k] = UInt8(truncatingIfNeeded: h >> (8 * UInt64(k))) }
        return Digest32(unchecked: bytes)
    }

    // MARK: Directives

    /// Carries out a machine's directives as the node runtime's loop does (Sources/SwarmNode/Node/NodeLoop.swift).
    func handle(_ i: Int, _ directives: [RoundDirective]) {
        let node = nodes[i]
        for directive in directives {
            guard node.isRunning else { return }
            switch directive {
            case .startLocalSteps(let round):
                if round > UInt64(scenario.training.rounds) {
                    finish(i)
                    return
                }
                if round > highestStarted {
                    highestStarted = round
                    fireDueEvents()
                    guard node.isRunning else { return }
                }
                node.roundStartedAt = now
                queue.schedule(.stepsDone(node: i, generation: node.generation, round: round),
                               at: now + UInt64(scenario.gossip.localSteps) * stepNanoseconds)
            case let .send(round, peers, degree):
                send(i, round: round, to: peers, degree: degree)
            case .keep:
                break  // taken where the frame arrived
            case .mix(let mix):
                apply(i, mix)
            case .persist(let round):
                node.persist(round: round)
            case .roundComplete(let summary):
                complete(i, summary)
            case .release(let through):
                node.kept = node.kept.filter { $0.key > through }
            case .setTimer(let deadline):
                queue.schedule(.tick(node: i, generation: node.generation), at: deadline.nanoseconds)
            case .dropped(let frame):
                if frame.wasKept { node.kept[frame.round]?[frame.sender] = nil }
                // An unacceptable frame was logged with its refusal's reason when it arrived: once.
                if frame.reason != .unacceptable {
                    node.exchangeRecords.append(ExchangeRecord(peer: frame.sender, round: Int64(frame.round), direction: .received, bytes: 0,
                                                               norm: 0, accepted: false, reason: "not mixed: \(frame.reason.rawValue)"))
                }
            }
        }
    }

    private func apply(_ i: Int, _ mix: RoundMix) {
        let node = nodes[i]
        let own = exchanged.vector(of: node.trainer.lora)
        let payloads = node.kept[mix.round] ?? [:]
        var neighbours: [(values: [Float], weight: Double)] = []
        var distance = 0.0
        node.mixedWith = []
        for n in mix.neighbours {
            guard let values = payloads[n.id] else { continue }
            neighbours.append((values, n.weight))
            node.mixedWith.append(n.id)
            distance += exchanged.squaredDistance(values, own, parameters: node.trainer.lora)
        }
        node.consensusEstimate = neighbours.isEmpty ? nil : distance / Double(neighbours.count)
        if options.keepTrace { mixedWith[i, default: [:]][Int(mix.round)] = mix.neighbours.map(\.id.simulatedIndex) }
        // The node runtime's own mix (element-wise in factors and frozen-a, re-factorised in product), with its product gap.
        let (mixed, gap) = exchanged.mix(own: own, selfWeight: mix.selfWeight, neighbours: neighbours, parameters: node.trainer.lora)
        node.productGap = neighbours.isEmpty ? nil : gap.relative
        exchanged.write(mixed, into: node.trainer.lora)
    }

    private func complete(_ i: Int, _ summary: RoundSummary) {
        let node = nodes[i]
        let c = summary.counts
        let figures = RunSummary.NodeRound(node: i, loss: node.roundLoss, mixed: c.mixed, neighbours: summary.degree,
                                           late: c.late + c.missed, refused: c.refused, bytesSent: node.bytesSent,
                                           bytesReceived: node.bytesReceived)
        let round = Int(summary.round)
        node.roundRecords.append(RoundRecord(round: Int64(round), loss: node.roundLoss ?? 0, consensusEstimate: node.consensusEstimate,
                                             neighbours: node.mixedWith, bytesSent: Int64(node.bytesSent),
                                             bytesReceived: Int64(node.bytesReceived), seconds: Double(now - node.roundStartedAt) / 1e9,
                                             productGap: node.productGap))
        let vector = exchanged.vector(of: node.trainer.lora)
        if options.keepTrace { trace[i, default: [:]][round] = vector }
        if rounds[round] != nil {
            // A restarted node completing a round the swarm has already closed: listed, not re-measured.
            rounds[round]!.nodes.append(figures)
            rounds[round]!.nodes.sort { $0.node < $1.node }
        } else {
            ledger.completed(round: round, node: figures, vector: vector, productGap: node.productGap)
        }
        node.roundLoss = nil
        node.productGap = nil
        node.bytesSent = 0
        node.bytesReceived = 0
        node.consensusEstimate = nil
        node.mixedWith = []
        if round >= scenario.training.rounds { finish(i) }
        closeDueRounds()
    }

    private func finish(_ i: Int) {
        guard nodes[i].state == .running else { return }
        nodes[i].state = .finished
        nodes[i].machine = nil
        closeDueRounds()
    }

    // MARK: Rounds

    /// Closes every round no running node can still complete.
    func closeDueRounds() {
        let below = nodes.compactMap { currentRound($0.index) }.min().map(Int.init) ?? Int.max
        do throws(InprocError) { try closeRounds(below: below) } catch { failure = error }
    }

    private func closeRounds(below: Int) throws(InprocError) {
        for (round, sums) in ledger.close(below: below) where rounds[round] == nil {
            var record = RunSummary.Round(round: round, consensusDistance: sums.distanceAfter,
                                          productGap: sums.productGap,
                                          bytes: sums.nodes.reduce(0) { $0 + $1.bytesSent },
                                          nodes: sums.nodes.sorted { $0.node < $1.node })
            record.consensusDistanceBeforeMix = sums.distanceBefore
            if isEvalRound(round) { record.eval = try evaluate(round, sums) }
            rounds[round] = record
            progress(InprocProgress(phase: "swarm", done: round, total: scenario.training.rounds,
                                    virtualSeconds: Double(now) / 1e9,
                                    detail: record.consensusDistance.map { "consensus distance \(Self.short($0))" } ?? ""))
        }
    }

    func isEvalRound(_ round: Int) -> Bool {
        scenario.eval.evaluates(round: round, lastRound: scenario.training.rounds)
    }

    static func short(_ x: Double) -> String {
        guard x != 0, x.isFinite else { return "\(x)" }
        let e = Int(log10(abs(x)).rounded(.down))
        let m = (x / pow(10, Double(e)) * 100).rounded() / 100
        return "\(m)e\(e)"
    }

    func entry(kind: String, node: Int?, seenBy: Int? = nil, detail: String) -> RunSummary.TimelineEntry {
        let running = nodes.compactMap { currentRound($0.index) }.min() ?? highestStarted
        return RunSummary.TimelineEntry(round: Int(running), seconds: Double(now) / 1e9, kind: kind, node: node,
                                        seenBy: seenBy, detail: detail)
    }
}

/// bfloat16 rounding (round to nearest even) of wire values in `wire-dtype: bf16`.
enum BFloat {
    static func round(_ x: Float) -> Float {
        guard x.isFinite else { return x }
        let bits = x.bitPattern
        let rounded = (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000
        return Float(bitPattern: rounded)
    }
}
