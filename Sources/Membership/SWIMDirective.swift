import SwarmBase

/// What the state machine asks its driver to do, in order.
public enum SWIMDirective: Hashable, Sendable {
    /// Encode `envelope` (`SWIMCodec.encode`) and send it to `address`; delivery is best effort.
    case send(SWIMEnvelope, to: PeerAddress)
    /// Call `tick(now:)` at (or soon after) this time. Replaces any earlier request.
    case setTimer(SWIMTime)
    /// The member's status, address or metadata changed; `previous` is nil for a newly learned member.
    case memberChanged(Member, previous: MemberStatus?)
    /// A dead or left member's tombstone expired: it is forgotten and may come back at any incarnation.
    case memberForgotten(NodeID)
}
