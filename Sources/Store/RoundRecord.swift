import SwarmBase

/// One completed training round of this node.
public struct RoundRecord: Hashable, Sendable {
    /// Round number, from 0.
    public let round: Int64
    /// Mean training loss over the round's local steps.
    public let loss: Double
    /// The node's estimate of its consensus distance (nil before any neighbour answered).
    public let consensusEstimate: Double?
    /// The neighbours mixed with in this round.
    public let neighbours: [NodeID]
    /// Adapter bytes sent and received in the round.
    public let bytesSent: Int64
    public let bytesReceived: Int64
    /// Wall-clock seconds the round took.
    public let seconds: Double
    /// ‖mean(B_jA_j) − B'A'‖ / ‖mean(B_jA_j)‖ after the round's mix (nil without a mix, and in
    /// rounds stored before schema version 2).
    public let productGap: Double?

    public init(round: Int64, loss: Double, consensusEstimate: Double?, neighbours: [NodeID],
                bytesSent: Int64, bytesReceived: Int64, seconds: Double, productGap: Double? = nil) {
        self.round = round
        self.loss = loss
        self.consensusEstimate = consensusEstimate
        self.neighbours = neighbours
        self.bytesSent = bytesSent
        self.bytesReceived = bytesReceived
        self.seconds = seconds
        self.productGap = productGap
    }
}
