import SwarmBase

/// The SWIM message kinds.
public enum SWIMMessage: Hashable, Sendable {
    /// Direct probe of `target`; answered with `ack(sequence)`.
    case ping(sequence: UInt32, target: NodeID)
    /// Answer to a ping, sent by the target or forwarded by a relay with the requester's sequence number.
    case ack(sequence: UInt32)
    /// Asks a relay to probe `target` on the sender's behalf (indirect probe).
    case pingRequest(sequence: UInt32, target: NodeID, targetAddress: PeerAddress)
    /// Sent by a relay whose indirect probe got no ack in time: tells the requester that the path to the
    /// relay works, so the requester does not blame itself (Lifeguard local health).
    case nack(sequence: UInt32)
    /// Anti-entropy: the full membership state of the sender. Requests get a response; `join` marks the
    /// first exchange of a joining node with a seed.
    case pushPull(PushPull)
    /// The sender leaves gracefully at `incarnation`.
    case leave(incarnation: UInt64)
    /// Carries only piggy-backed updates; sent while updates are pending, to spread them faster than
    /// probes alone would.
    case gossip

    public struct PushPull: Hashable, Sendable {
        public var isResponse: Bool
        public var join: Bool
        public var members: [MembershipUpdate]

        public init(isResponse: Bool, join: Bool, members: [MembershipUpdate]) {
            self.isResponse = isResponse
            self.join = join
            self.members = members
        }
    }
}
