import Foundation

/// Protocol parameters. Defaults follow SWIM/Lifeguard practice for a LAN (memberlist's LAN profile).
public struct SWIMSettings: Sendable {
    /// The protocol period: one probe per period (stretched by the local health multiplier).
    public var probeInterval: Duration = .seconds(1)
    /// How long to wait for a direct ack before asking relays (stretched by the local health multiplier).
    public var probeTimeout: Duration = .milliseconds(500)
    /// How long a relay waits for the target's ack before sending a nack back to the requester.
    public var relayTimeout: Duration = .milliseconds(400)
    /// k: relays asked for an indirect probe.
    public var indirectProbeCount = 3
    /// Minimum suspicion timeout = alpha × max(1, log10(n)) × probeInterval.
    public var suspicionAlpha: Double = 4
    /// Maximum suspicion timeout = beta × minimum.
    public var suspicionBeta: Double = 6
    /// K: independent confirmations that bring the suspicion timeout down to its minimum.
    public var suspicionConfirmations = 3
    /// lambda: each update is sent lambda × ceil(log2(n + 1)) times by each member (log2 rather than
    /// memberlist's log10, so that small swarms, where a missed refutation costs a false death, get
    /// enough copies: a member is missed with probability about e^-(that count)).
    public var retransmitMultiplier = 2
    /// While updates are pending, a gossip message goes to `gossipFanout` random members this often
    /// (0 fanout: piggy-backing only, as in the SWIM paper).
    public var gossipInterval: Duration = .milliseconds(200)
    public var gossipFanout = 3
    /// Updates piggy-backed on one message (at most `SWIMCodec.Limits.maxGossip`).
    public var maxGossipPerMessage = 16
    /// Upper bound of the local health multiplier: intervals and timeouts stretch by up to this factor.
    public var maxLocalHealthMultiplier = 8
    /// Base push-pull (anti-entropy) interval; above 32 members it is scaled by ceil(log2(n / 32)) + 1.
    public var pushPullInterval: Duration = .seconds(30)
    /// How often a push-pull goes to one member believed dead (while any is), so that a healed
    /// partition or a false death is noticed and refuted within a few periods rather than a
    /// push-pull interval. Costs one full-state message (and, unreachable, one failed dial) per
    /// interval; 0 turns it off.
    public var reconnectInterval: Duration = .seconds(5)
    /// How long dead and left members are remembered before being forgotten entirely.
    public var tombstoneLifetime: Duration = .seconds(120)
    /// While no member is known, the join push-pull to the seeds is repeated this often.
    public var joinRetryInterval: Duration = .seconds(2)
    /// Members told directly of a graceful leave (in addition to gossip).
    public var leaveFanout = 3

    public init() {}

    /// Minimum and maximum suspicion timeouts for a cluster of `memberCount` live members, in nanoseconds.
    func suspicionBounds(memberCount: Int) -> (min: Int64, max: Int64) {
        let scale = max(1, log10(Double(max(1, memberCount))))
        let minimum = suspicionAlpha * scale * Double(probeInterval.nanoseconds)
        return (Int64(minimum), Int64(minimum * max(1, suspicionBeta)))
    }

    /// Lifeguard's suspicion timeout after `confirmations` independent confirmations: starts at `max` and
    /// falls logarithmically, reaching `min` at `expected` confirmations.
    static func suspicionTimeout(confirmations: Int, expected: Int, min: Int64, max: Int64) -> Int64 {
        guard expected >= 1 else { return min }
        let fraction = log(Double(confirmations) + 1) / log(Double(expected) + 1)
        let timeout = Double(max) - fraction * Double(max - min)
        return Swift.max(min, Int64(timeout))
    }

    /// Piggy-back transmissions per update for `memberCount` members.
    func retransmitLimit(memberCount: Int) -> Int {
        retransmitMultiplier * Int(ceil(log2(Double(memberCount + 1))))
    }

    /// Push-pull interval for `memberCount` members, in nanoseconds.
    func pushPullIntervalNanoseconds(memberCount: Int) -> Int64 {
        let base = pushPullInterval.nanoseconds
        guard memberCount > 32 else { return base }
        let multiplier = Int64(ceil(log2(Double(memberCount)) - log2(32))) + 1
        return base * multiplier
    }
}
