import Membership
import SwarmBase

/// Runs N `SWIMInstance`s against a virtual network in virtual time, deterministically from a seed.
///
/// The network delivers each message after `latency` plus uniform jitter (plus the sender's extra delay
/// if it is slow), drops it with probability `loss` (or the per-node loss of either end), and drops it when
/// sender and receiver sit in different partitions or the receiver has crashed. Every `memberChanged`
/// directive is recorded as an `Observation`.
struct MembershipSimulation {
    struct Node {
        var instance: SWIMInstance
        var address: PeerAddress
        var crashed = false
        /// Extra delay on everything this node sends (a slow, overloaded member).
        var sendDelay: Int64 = 0
        /// Loss applied to every message to or from this node, on top of the network's.
        var extraLoss: Double = 0
        var partition = 0
        var timerGeneration: UInt64 = 0
    }

    struct Observation {
        var time: SWIMTime
        var observer: Int
        var subject: NodeID
        var status: MemberStatus
        var incarnation: UInt64
    }

    enum Bootstrap {
        /// Every node starts knowing every other node as alive (as after a restart from a stored view).
        case fullyKnown
        /// Every node joins through the first `seeds` nodes' addresses.
        case join(seeds: Int)
    }

    private enum Payload {
        case envelope(SWIMEnvelope)
        /// Encoded bytes and the sender the transport frame carries.
        case bytes([UInt8], sender: NodeID)
    }

    private enum Event {
        case deliver(to: Int, Payload)
        case timer(node: Int, generation: UInt64)
    }

    private struct Key: Comparable {
        var time: Int64
        var order: UInt64
        var slot: Int
        static func < (lhs: Key, rhs: Key) -> Bool { (lhs.time, lhs.order) < (rhs.time, rhs.order) }
    }

    let settings: SWIMSettings
    var nodes: [Node] = []
    private(set) var now = SWIMTime.zero
    private(set) var observations: [Observation] = []
    /// Which statuses are kept in `observations` (all are counted in `changeCounts`); long runs keep
    /// only deaths and leaves to bound memory.
    var recordedStatuses: Set<MemberStatus> = Set(MemberStatus.allCases)
    private(set) var changeCounts: [MemberStatus: Int] = [:]
    private(set) var messagesSent = 0
    private(set) var messagesDropped = 0
    private(set) var decodeFailures = 0
    var latency: Int64
    var jitter: Int64
    var loss: Double
    /// Pass every message through `SWIMCodec` (slower; exercises the wire format in the protocol).
    var encodeMessages = false

    private var heap: [Key] = []
    private var slots: [Event?] = []
    private var freeSlots: [Int] = []
    private var order: UInt64 = 0
    private var random: SeededRandom
    private var indexOfAddress: [PeerAddress: Int] = [:]

    init(count: Int, settings: SWIMSettings = SWIMSettings(), seed: UInt64, latency: Duration = .milliseconds(5),
         jitter: Duration = .milliseconds(5), loss: Double = 0, bootstrap: Bootstrap = .fullyKnown,
         encodeMessages: Bool = false) {
        self.settings = settings
        self.latency = Self.nanoseconds(latency)
        self.jitter = Self.nanoseconds(jitter)
        self.loss = loss
        self.encodeMessages = encodeMessages
        self.random = SeededRandom(seed: seed)
        let identities = (0..<count).map { (Self.id(of: $0), Self.address(of: $0)) }
        let everyone = identities.map { Member(id: $0.0, address: $0.1) }
        for (index, (id, address)) in identities.enumerated() {
            let known: [Member]
            if case .fullyKnown = bootstrap { known = everyone } else { known = [] }
            let instance = SWIMInstance(id: id, address: address, metadata: Self.metadata(of: index),
                                        settings: settings, seed: seed &+ UInt64(index) &* 0x9E37_79B9, knownMembers: known)
            nodes.append(Node(instance: instance, address: address))
            indexOfAddress[address] = index
        }
        for index in 0..<count {
            let directives = nodes[index].instance.start(now: now)
            handle(directives, from: index)
        }
        if case let .join(seedCount) = bootstrap {
            let seeds = (0..<min(seedCount, count)).map { Self.address(of: $0) }
            for index in 0..<count {
                let directives = nodes[index].instance.join(seeds: seeds, now: now)
                handle(directives, from: index)
            }
        }
    }

    static func id(of index: Int) -> NodeID {
        NodeID.named("node-\(index)")
    }

    static func address(of index: Int) -> PeerAddress {
        try! PeerAddress(host: "10.\(index / 65_536).\((index / 256) % 256).\(index % 256)", port: 7946)
    }

    static func metadata(of index: Int) -> MemberMetadata {
        MemberMetadata(coreHash: "core-smollm2", adapterSchemaHash: "r8-qkvo", capabilities: ["slot": "\(index % 4)"])
    }

    /// The protocol period in nanoseconds.
    var period: Int64 { Self.nanoseconds(settings.probeInterval) }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }

    /// Nanoseconds expressed in protocol periods.
    func periods(_ nanoseconds: Int64) -> Double { Double(nanoseconds) / Double(period) }

    /// Virtual time after `periods` protocol periods.
    func time(periods: Double) -> SWIMTime { SWIMTime(nanoseconds: Int64(periods * Double(period))) }

    // MARK: Scenario actions

    mutating func crash(_ index: Int) { nodes[index].crashed = true }

    /// Restarts a crashed node with a fresh state machine (same id and address) joining through `seeds`.
    mutating func restart(_ index: Int, incarnation: UInt64 = 0, seeds: [Int]) {
        nodes[index].crashed = false
        nodes[index].timerGeneration += 1
        nodes[index].instance = SWIMInstance(id: Self.id(of: index), address: nodes[index].address,
                                             metadata: Self.metadata(of: index), incarnation: incarnation,
                                             settings: settings, seed: random.next())
        handle(nodes[index].instance.start(now: now), from: index)
        handle(nodes[index].instance.join(seeds: seeds.map { Self.address(of: $0) }, now: now), from: index)
    }

    mutating func leave(_ index: Int) {
        handle(nodes[index].instance.leave(now: now), from: index)
    }

    mutating func partition(_ groups: [[Int]]) {
        for (group, members) in groups.enumerated() { for index in members { nodes[index].partition = group } }
    }

    mutating func heal() {
        for index in nodes.indices { nodes[index].partition = 0 }
    }

    // MARK: Running

    /// Processes every event up to and including `end`.
    mutating func run(until end: SWIMTime) {
        while let first = heap.first, first.time <= end.nanoseconds {
            let key = popMin()
            guard let event = slots[key.slot] else { continue }
            slots[key.slot] = nil
            freeSlots.append(key.slot)
            now = SWIMTime(nanoseconds: key.time)
            switch event {
            case let .timer(index, generation):
                guard !nodes[index].crashed, nodes[index].timerGeneration == generation else { continue }
                handle(nodes[index].instance.tick(now: now), from: index)
            case let .deliver(index, payload):
                guard !nodes[index].crashed else { continue }
                let envelope: SWIMEnvelope
                switch payload {
                case let .envelope(value): envelope = value
                case let .bytes(bytes, sender):
                    guard let decoded = try? SWIMCodec.decode(bytes, sender: sender) else { decodeFailures += 1; continue }
                    envelope = decoded
                }
                handle(nodes[index].instance.receive(envelope, now: now), from: index)
            }
        }
        now = max(now, end)
    }

    private mutating func handle(_ directives: [SWIMDirective], from index: Int) {
        for directive in directives {
            switch directive {
            case let .send(envelope, address):
                messagesSent += 1
                guard let target = indexOfAddress[address] else { messagesDropped += 1; continue }
                let dropChance = loss + nodes[index].extraLoss + nodes[target].extraLoss
                if nodes[index].partition != nodes[target].partition
                    || (dropChance > 0 && Double.random(in: 0..<1, using: &random) < dropChance) {
                    messagesDropped += 1
                    continue
                }
                let delay = latency + (jitter > 0 ? Int64.random(in: 0...jitter, using: &random) : 0) + nodes[index].sendDelay
                let payload: Payload = encodeMessages ? .bytes((try? SWIMCodec.encode(envelope)) ?? [], sender: envelope.sender) : .envelope(envelope)
                schedule(.deliver(to: target, payload), at: now.nanoseconds + delay)
            case let .setTimer(time):
                nodes[index].timerGeneration += 1
                schedule(.timer(node: index, generation: nodes[index].timerGeneration), at: max(time.nanoseconds, now.nanoseconds))
            case let .memberChanged(member, _):
                changeCounts[member.status, default: 0] += 1
                guard recordedStatuses.contains(member.status) else { continue }
                observations.append(Observation(time: now, observer: index, subject: member.id, status: member.status,
                                                incarnation: member.incarnation))
            case .memberForgotten:
                break
            }
        }
    }

    // MARK: Queries

    /// What `observer` believes about `subject`.
    func view(of observer: Int, about subject: Int) -> Member? {
        nodes[observer].instance.member(Self.id(of: subject))
    }

    /// Running nodes, i.e. not crashed.
    var runningNodes: [Int] { nodes.indices.filter { !nodes[$0].crashed } }

    /// For each observer, the earliest time it recorded `subject` in one of `statuses` at or after `since`.
    func firstTimes(subject: Int, statuses: Set<MemberStatus>, since: SWIMTime = .zero) -> [Int: SWIMTime] {
        let id = Self.id(of: subject)
        var result: [Int: SWIMTime] = [:]
        for observation in observations where observation.subject == id && observation.time >= since
            && statuses.contains(observation.status) && result[observation.observer] == nil {
            result[observation.observer] = observation.time
        }
        return result
    }

    /// Every observation of a running, never-crashed member being declared dead: false deaths.
    func deaths(excluding crashed: Set<Int> = []) -> [Observation] {
        let excludedIDs = Set(crashed.map { Self.id(of: $0) })
        return observations.filter { $0.status == .dead && !excludedIDs.contains($0.subject) }
    }

    // MARK: Event heap

    private mutating func schedule(_ event: Event, at time: Int64) {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = event
        } else {
            slot = slots.count
            slots.append(event)
        }
        order &+= 1
        heap.append(Key(time: time, order: order, slot: slot))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child] < heap[parent] else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func popMin() -> Key {
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < heap.count && heap[left] < heap[smallest] { smallest = left }
                if right < heap.count && heap[right] < heap[smallest] { smallest = right }
                if smallest == parent { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top
    }
}
