import Consensus
import Gossip
import SwarmBase

/// A tiny in-test swarm for the round machine: several `GossipRound`s wired by a message bus in
/// virtual time (an event queue, no threads). Each node's "factors" are a vector of doubles the bus
/// averages with the weights the machines hand out, as the node driver would.
struct RoundBus {
    struct Node {
        var machine: GossipRound
        var value: [Double]
        var running = true
        /// Virtual nanoseconds one round of local steps takes.
        var stepNanoseconds: UInt64
        var kept: [Key: [Double]] = [:]
        var mixes: [RoundMix] = []
        var summaries: [RoundSummary] = []
        var dropped: [DroppedFrame] = []
        var sends: [(round: UInt64, to: [NodeID], degree: Int)] = []
    }

    struct Key: Hashable {
        var sender: NodeID
        var round: UInt64
    }

    enum Event {
        case stepsDone(node: Int, round: UInt64)
        case deliver(to: Int, from: Int, round: UInt64, degree: Int, digest: Digest32, value: [Double])
        case tick(node: Int)
        case view(node: Int, alive: [Int])
    }

    static let millisecond: UInt64 = 1_000_000

    static func id(_ index: Int) -> NodeID {
        NodeID(digest: Digest32(unchecked: [UInt8](repeating: UInt8(index + 1), count: 32)))
    }

    static func index(_ id: NodeID) -> Int { Int(id.digest.bytes[0]) - 1 }

    /// The digest a node's frame of `round` carries (`variant` ≠ 0: a conflicting payload).
    static func digest(sender: Int, round: UInt64, variant: UInt8 = 0) -> Digest32 {
        var bytes = [UInt8](repeating: 0, count: 32)
        bytes[0] = UInt8(sender)
        for k in 0..<8 { bytes[1 + k] = UInt8(truncatingIfNeeded: round >> (8 * UInt64(k))) }
        bytes[31] = variant
        return Digest32(unchecked: bytes)
    }

    var now: UInt64 = 0
    var nodes: [Node] = []
    /// Virtual nanoseconds a frame takes on a link; `slow` overrides per (from, to).
    var latency: UInt64 = 5 * millisecond
    var slow: [Pair: UInt64] = [:]
    /// Links that lose every frame.
    var cut: Set<Pair> = []
    /// Deliver every frame twice (a replay right after the original).
    var duplicateEverything = false
    private var queue: [(time: UInt64, sequence: Int, event: Event)] = []
    private var sequence = 0

    struct Pair: Hashable {
        var from: Int
        var to: Int
    }

    /// `count` nodes that all see each other, starting at `round`, with values `values[i]`.
    init(count: Int, settings: RoundSettings, values: [[Double]], stepMilliseconds: [UInt64]? = nil,
         round: UInt64 = 1) {
        let ids = (0..<count).map(Self.id)
        for i in 0..<count {
            let step = (stepMilliseconds?[i] ?? 100) * Self.millisecond
            nodes.append(Node(machine: GossipRound(id: ids[i], settings: settings, round: round, alive: ids),
                              value: values[i], stepNanoseconds: step))
        }
    }

    var ids: [NodeID] { (0..<nodes.count).map(Self.id) }

    mutating func startAll() {
        for i in nodes.indices { start(i) }
    }

    mutating func start(_ i: Int) {
        let out = nodes[i].machine.start(now: now)
        handle(i, out)
    }

    mutating func schedule(_ event: Event, at time: UInt64) {
        sequence += 1
        queue.append((time, sequence, event))
    }

    /// Runs events until `time` (virtual nanoseconds) or until no event is left.
    mutating func run(until time: UInt64) {
        while let next = queue.indices.min(by: { (queue[$0].time, queue[$0].sequence) < (queue[$1].time, queue[$1].sequence) }),
              queue[next].time <= time {
            let (at, _, event) = queue.remove(at: next)
            now = max(now, at)
            dispatch(event)
        }
        now = max(now, time)
    }

    /// Runs until every running node has completed `rounds` rounds (or `limit` virtual seconds pass).
    mutating func run(rounds: Int, limitSeconds: UInt64 = 3600) {
        let limit = now + limitSeconds * 1_000_000_000
        while nodes.contains(where: { $0.running && $0.summaries.count < rounds }), !queue.isEmpty, now < limit {
            guard let next = queue.indices.min(by: { (queue[$0].time, queue[$0].sequence) < (queue[$1].time, queue[$1].sequence) })
            else { break }
            let (at, _, event) = queue.remove(at: next)
            now = max(now, at)
            dispatch(event)
        }
    }

    /// Stops node `i` (a crash): it handles nothing more and its frames stop.
    mutating func kill(_ i: Int) { nodes[i].running = false }

    private mutating func dispatch(_ event: Event) {
        switch event {
        case let .stepsDone(i, round):
            guard nodes[i].running else { return }
            handle(i, nodes[i].machine.localStepsDone(round: round, now: now))
        case let .deliver(to, from, round, degree, digest, value):
            guard nodes[to].running else { return }
            deliver(to: to, from: from, round: round, degree: degree, digest: digest, value: value)
        case let .tick(i):
            guard nodes[i].running else { return }
            handle(i, nodes[i].machine.tick(now: now))
        case let .view(i, alive):
            guard nodes[i].running else { return }
            handle(i, nodes[i].machine.membersChanged(alive: alive.map(Self.id), now: now))
        }
    }

    /// Hands node `to` a frame now, as the transport would.
    mutating func deliver(to: Int, from: Int, round: UInt64, degree: Int, digest: Digest32, value: [Double]) {
        let out = nodes[to].machine.factorsReceived(from: Self.id(from), round: round, senderDegree: degree,
                                                    digest: digest, now: now)
        handle(to, out, payload: (Key(sender: Self.id(from), round: round), value))
    }

    /// Carries out a machine's directives the way the node driver does.
    mutating func handle(_ i: Int, _ directives: [RoundDirective], payload: (Key, [Double])? = nil) {
        for directive in directives {
            switch directive {
            case let .startLocalSteps(round):
                schedule(.stepsDone(node: i, round: round), at: now + nodes[i].stepNanoseconds)
            case let .send(round, to, degree):
                nodes[i].sends.append((round, to, degree))
                for target in to.map(Self.index) where !cut.contains(Pair(from: i, to: target)) {
                    let delay = slow[Pair(from: i, to: target)] ?? latency
                    let event = Event.deliver(to: target, from: i, round: round, degree: degree,
                                              digest: Self.digest(sender: i, round: round), value: nodes[i].value)
                    schedule(event, at: now + delay)
                    if duplicateEverything { schedule(event, at: now + delay + 1) }
                }
            case let .keep(from, round):
                guard let payload, payload.0 == Key(sender: from, round: round) else {
                    preconditionFailure("keep for a frame that was not just delivered")
                }
                nodes[i].kept[payload.0] = payload.1
            case let .mix(mix):
                var mixed = nodes[i].value.map { $0 * mix.selfWeight }
                for neighbour in mix.neighbours {
                    guard let other = nodes[i].kept[Key(sender: neighbour.id, round: mix.round)] else {
                        preconditionFailure("mix names a payload that was never kept")
                    }
                    for k in mixed.indices { mixed[k] += neighbour.weight * other[k] }
                }
                nodes[i].value = mixed
                nodes[i].mixes.append(mix)
            case .persist:
                break
            case let .roundComplete(summary):
                nodes[i].summaries.append(summary)
            case let .release(through):
                nodes[i].kept = nodes[i].kept.filter { $0.key.round > through }
            case let .setTimer(deadline):
                schedule(.tick(node: i), at: deadline.nanoseconds)
            case let .dropped(frame):
                nodes[i].dropped.append(frame)
                if frame.wasKept { nodes[i].kept[Key(sender: frame.sender, round: frame.round)] = nil }
            }
        }
    }

    // MARK: Reading the run

    /// The n×n matrix of every node's mix of `round` (rows of nodes that did not mix it are zero).
    func matrix(round: UInt64) -> [[Double]] {
        var m = Array(repeating: Array(repeating: 0.0, count: nodes.count), count: nodes.count)
        for (i, node) in nodes.enumerated() {
            guard let mix = node.mixes.first(where: { $0.round == round }) else { continue }
            m[i][i] = mix.selfWeight
            for neighbour in mix.neighbours { m[i][Self.index(neighbour.id)] = neighbour.weight }
        }
        return m
    }

    /// Counts summed over every node's whole run.
    var totals: RoundCounts {
        nodes.reduce(into: RoundCounts()) { sum, node in
            let t = node.machine.totals
            sum.mixed += t.mixed; sum.missed += t.missed; sum.departed += t.departed; sum.passedBy += t.passedBy
            sum.late += t.late; sum.stale += t.stale; sum.duplicate += t.duplicate
            sum.conflicting += t.conflicting; sum.refused += t.refused
        }
    }
}
