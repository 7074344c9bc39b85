import SwarmBase

/// What the round machine asks its driver to do, in order.
public enum RoundDirective: Hashable, Sendable {
    /// Run the K local training steps of `round`, then call `localStepsDone(round:now:)`.
    case startLocalSteps(round: UInt64)
    /// Send this node's factors of `round` to each of these neighbours; every frame carries `degree`,
    /// this node's neighbour count for the round, so both ends compute the same pairwise weight.
    case send(round: UInt64, to: [NodeID], degree: Int)
    /// Hold the payload of the frame just received from `from` for `round`: a later `mix` may use it.
    /// Payloads are let go by `release` (or `dropped`).
    case keep(from: NodeID, round: UInt64)
    /// Replace this node's factors by the weighted sum of its own and the listed neighbours' kept
    /// payloads of the round (the driver does the arithmetic, in the settings' averaging mode).
    case mix(RoundMix)
    /// Persist the mixed state as the result of `round` (a restart resumes after it).
    case persist(round: UInt64)
    /// The round is over; what happened in it.
    case roundComplete(RoundSummary)
    /// Let go of every kept payload of a round up to and including `throughRound`.
    case release(throughRound: UInt64)
    /// Call `tick(now:)` at (or soon after) this deadline. Replaces any earlier request.
    case setTimer(Deadline)
    /// A frame is not mixed: log it, and let go of its payload if `wasKept` (a frame held early and
    /// refused at its round's lock, or held for a round the node skipped).
    case dropped(DroppedFrame)
}

/// A frame the machine will not mix, and why.
public struct DroppedFrame: Hashable, Sendable {
    public let sender: NodeID
    public let round: UInt64
    public let reason: DropReason
    /// The payload was kept earlier (`keep`) and is now let go. False for a frame dropped on arrival:
    /// then any payload kept for the same sender and round (the first copy) stays.
    public let wasKept: Bool

    public init(sender: NodeID, round: UInt64, reason: DropReason, wasKept: Bool = false) {
        self.sender = sender
        self.round = round
        self.reason = reason
        self.wasKept = wasKept
    }
}

/// Why a frame is not mixed. Every dropped frame is counted (`RoundCounts`) and reported, never silently
/// mixed or lost.
public enum DropReason: String, Hashable, Sendable {
    /// For the round this node just mixed, from a neighbour it waited for: it missed the deadline.
    case late
    /// For an older round, or the last round from a node that was not waited for.
    case stale
    /// A second copy (same sender, round and payload digest): a replay.
    case duplicate
    /// A second frame for the same sender and round with a different payload digest; the first stands.
    case conflicting
    /// The sender is not this node's neighbour for that round (or left the membership).
    case notNeighbour
    /// More than `maxRoundsAhead` rounds ahead of this node.
    case tooFarAhead
    /// `maxBufferedFrames` early frames are already held.
    case bufferFull
    /// The driver refused the payload's content (`factorsReceived(acceptable: false)`).
    case unacceptable
    /// The frame claims a degree below 1 (a sender always counts the receiver as a neighbour), or comes
    /// from this node itself.
    case invalid
}
