import Scenario
import SwarmBase

/// The inproc backend's network: when (and whether) a frame sent from one node reaches another,
/// from the scenario's link conditions and the partition in force. Pure but for its seeded random
/// stream, which advances in the (deterministic) order frames are sent.
///
/// Model, per directed link: a frame of `bytes` leaves once the link has finished sending the
/// previous one (bandwidth serialises frames: `bytes·8 / bandwidth`), then takes `latency` plus a
/// jitter drawn uniformly from `0...jitter`; frames of one link arrive in the order sent (as over
/// one TCP connection). A frame is lost whole with probability `loss` (the real node's TCP would
/// retransmit the lost packets; the simulator counts a loss as the frame missing its round, the
/// pessimistic reading). Between the groups of a partition nothing arrives.
struct VirtualNetwork {
    let spec: NetworkSpec
    private var random: SeededRandom
    /// Per (from, to): when the link is free to send again, and the last arrival time on it.
    private var linkFree: [Pair: UInt64] = [:]
    private var lastArrival: [Pair: UInt64] = [:]
    /// Node index → its group while a partition is in force.
    private(set) var group: [Int: Int]?

    struct Pair: Hashable {
        var from: Int
        var to: Int
    }

    init(spec: NetworkSpec, seed: UInt64) {
        self.spec = spec
        random = SeededRandom(seed: seed ^ 0x4E45_5457_4F52_4B00)
    }

    mutating func partition(_ groups: [[Int]]) {
        var g: [Int: Int] = [:]
        for (k, members) in groups.enumerated() { for n in members { g[n] = k } }
        group = g
    }

    mutating func heal() { group = nil }

    /// Whether `a` and `b` can reach each other now.
    func connected(_ a: Int, _ b: Int) -> Bool {
        guard let group else { return true }
        return group[a] == group[b]
    }

    /// The virtual time (ns) at which a frame sent now arrives, or nil when it is lost or cut off.
    mutating func arrival(from: Int, to: Int, bytes: Int, now: UInt64) -> UInt64? {
        guard connected(from, to) else { return nil }
        let c = spec.conditions(from: from, to: to)
        let pair = Pair(from: from, to: to)
        // Draw both numbers for every frame, so one link's loss does not shift the others' jitter.
        let lossDraw = random.nextDouble()
        let jitterDraw = random.nextDouble()
        var start = max(now, linkFree[pair] ?? 0)
        if let mbit = c.bandwidthMegabits {
            start += UInt64((Double(bytes) * 8 / (mbit * 1e6) * 1e9).rounded())
        }
        linkFree[pair] = start
        guard lossDraw >= c.loss else { return nil }
        let delay = (c.latencyMilliseconds + jitterDraw * c.jitterMilliseconds) * 1e6
        let arrival = max(start + UInt64(delay.rounded()), lastArrival[pair] ?? 0)
        lastArrival[pair] = arrival
        return arrival
    }
}
