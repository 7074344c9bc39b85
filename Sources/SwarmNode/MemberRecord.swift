import Membership
import SwarmBase

/// One member in a driver's published view: SWIM's state plus when this node last heard from it.
public struct MemberRecord: Sendable, Hashable {
    public var member: Member
    /// Wall-clock ms since the Unix epoch of the last verified message from it; nil if only gossiped about.
    public var lastHeardMs: Int64?

    public init(member: Member, lastHeardMs: Int64?) {
        self.member = member
        self.lastHeardMs = lastHeardMs
    }
}

/// A membership change reported to the layer above (topology, store), on the driver thread.
public enum MemberChange: Sendable, Hashable {
    /// Status, address or metadata changed; `previous` is nil for a newly learned member.
    case changed(Member, previous: MemberStatus?)
    /// A dead or left member's tombstone expired.
    case forgotten(NodeID)
}
