/// What a gossip round averages. The round machine decides who is mixed and with what weight; the
/// driver applies the weights to the quantity the mode names. Every node of a swarm uses the same mode.
public enum AveragingMode: String, Sendable, Hashable, CaseIterable {
    /// Average A and B separately (Dec-LoRA as published): cheap, but the average of products is not
    /// the product of averages, so the merged update drifts from the mean update.
    case factors
    /// Keep A fixed (the same on every node, from the swarm seed) and average only B: then the mean of
    /// B·A is exactly (mean B)·A, and frames carry half the bytes.
    case frozenA = "frozen-a"
    /// Average the products ΔW = B·A and re-factor: exact, at the cost of dense frames.
    case product

    /// Parses the command-line and scenario-file spelling (`factors`, `frozen-a`, `product`).
    public init?(name: String) { self.init(rawValue: name) }

    /// The spelling of `init(name:)`.
    public var name: String { rawValue }
}
