/// What happened in one round at one node.
public struct RoundSummary: Hashable, Sendable {
    public let round: UInt64
    /// The round this node goes on to (round + 1, or more when it catches up with its neighbours).
    public let nextRound: UInt64
    /// Neighbours the round was locked with (d_i).
    public let degree: Int
    /// From sending this node's factors to mixing.
    public let waited: Duration
    /// The deadline the round used.
    public let deadline: Duration
    /// Whether the deadline passed before every neighbour was heard from.
    public let deadlineExpired: Bool
    /// Frames and neighbours counted since the previous round completed.
    public let counts: RoundCounts
}

/// Counters of the round protocol. In a `RoundSummary` they cover the interval since the previous
/// round completed (so a frame that is late for round r shows up in round r + 1's summary); the
/// machine's `totals` cover its whole life.
public struct RoundCounts: Hashable, Sendable {
    /// Neighbour factors mixed.
    public var mixed = 0
    /// Neighbours waited for that neither arrived nor left before the deadline (their weight went to self).
    public var missed = 0
    /// Neighbours that left the membership while waited for (their weight went to self).
    public var departed = 0
    /// Neighbours not waited for because they were already heard at a later round.
    public var passedBy = 0
    public var late = 0
    public var stale = 0
    public var duplicate = 0
    public var conflicting = 0
    /// Not a neighbour, too far ahead, buffer full, invalid, or content refused by the driver.
    public var refused = 0

    public init() {}

    mutating func count(_ reason: DropReason) {
        switch reason {
        case .late: late += 1
        case .stale: stale += 1
        case .duplicate: duplicate += 1
        case .conflicting: conflicting += 1
        case .notNeighbour, .tooFarAhead, .bufferFull, .invalid, .unacceptable: refused += 1
        }
    }
}
