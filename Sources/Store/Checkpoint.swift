/// The training state at the end of a complete round: what a restarting node resumes from.
public struct Checkpoint: Hashable, Sendable {
    /// The round the state is the end of.
    public let round: Int64
    /// Every adapter parameter, in the adapter schema's order.
    public let adapter: [Float]
    /// The optimizer's state (moments, step count), opaque to the store.
    public let optimizer: [UInt8]

    public init(round: Int64, adapter: [Float], optimizer: [UInt8]) {
        self.round = round
        self.adapter = adapter
        self.optimizer = optimizer
    }
}
