import SwarmBase

/// A SWIM protocol message with its sender and piggy-backed gossip: the unit the codec encodes and the
/// transport carries as one opaque frame payload.
public struct SWIMEnvelope: Hashable, Sendable {
    public var sender: NodeID
    /// Where replies go: the sender's listen address.
    public var senderAddress: PeerAddress
    public var message: SWIMMessage
    public var gossip: [MembershipUpdate]

    public init(sender: NodeID, senderAddress: PeerAddress, message: SWIMMessage, gossip: [MembershipUpdate] = []) {
        self.sender = sender
        self.senderAddress = senderAddress
        self.message = message
        self.gossip = gossip
    }
}
