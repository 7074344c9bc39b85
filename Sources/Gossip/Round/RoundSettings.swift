/// Parameters of the gossip round protocol. Every node of a swarm should use the same settings
/// (the neighbour rule and mode in particular); deadlines may differ per node.
public struct RoundSettings: Sendable, Equatable {
    /// Who gossips with whom in a membership view.
    public var neighbours: NeighbourRule = .topology(.ring)
    /// How long a node waits for its neighbours' factors after sending its own (the fixed deadline, and
    /// the first one when the deadline is adaptive).
    public var deadline: Duration = .seconds(30)
    /// When set, the deadline follows the neighbours' observed arrival times within these bounds.
    public var adaptiveDeadline: AdaptiveDeadline?
    /// What the driver averages with the weights the machine hands out.
    public var mode: AveragingMode = .factors
    /// Factors for a round more than this far ahead of the node's own are refused (but still count as
    /// evidence of the swarm's round for catch-up).
    public var maxRoundsAhead: UInt64 = 8
    /// At most this many early frames (for the current round before sending, or for future rounds) are
    /// held at once; the driver keeps their payloads, so this bounds its memory.
    public var maxBufferedFrames = 64

    public init() {}
}

/// An adaptive round deadline: `margin` × the slowest neighbour arrival (measured from this node's
/// send) over the last `window` rounds, clamped to `minimum ... maximum`. Late arrivals count too, so
/// a deadline that was too short grows on the next round.
public struct AdaptiveDeadline: Sendable, Equatable {
    public var minimum: Duration
    public var maximum: Duration
    public var margin: Double = 1.5
    public var window = 8

    public init(minimum: Duration, maximum: Duration, margin: Double = 1.5, window: Int = 8) {
        self.minimum = minimum
        self.maximum = maximum
        self.margin = margin
        self.window = window
    }
}
