import Scenario
import SwarmBase

/// The inproc backend's network: when (and whether) a frame sent from one node reaches another,
/// from the scenario's link conditions and the partition in force. Pure but for its seeded random
/// stream, which advances in the (deterministic) order frames are sent.
///
/// Each directed link follows SwarmBase's `LinkEmulator` (the model the node's link emulator
/// applies too): bandwidth serialises frames, then latency plus a jitter drawn uniformly from
/// `0...jitter`; frames of one link arrive in order; a frame is lost whole with probability
/// `loss` (the real node's TCP would retransmit the lost packets; the simulator counts a loss as
/// the frame missing its round, the pessimistic reading). Between the groups of a partition
/// nothing arrives.
struct VirtualNetwork {
    let spec: NetworkSpec
    private var links: LinkEmulator<Pair>
    /// Node index → its group while a partition is in force.
    private(set) var group: [Int: Int]?

    struct Pair: Hashable, Sendable {
        var from: Int
        var to: Int
    }

    init(spec: NetworkSpec, seed: UInt64) {
        self.spec = spec
        links = LinkEmulator(random: SeededRandom(seed: seed ^ 0x4E45_5457_4F52_4B00))
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
        return links.arrival(on: Pair(from: from, to: to), spec.conditions(from: from, to: to), bytes: bytes, now: now)
    }
}
