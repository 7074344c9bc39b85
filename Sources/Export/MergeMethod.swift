/// How several LoRA adapters become one.
public enum MergeMethod: String, CaseIterable, Sendable {
    /// Weighted average of the factors: A = Σ wᵢAᵢ, B = Σ wᵢBᵢ. Cheap and what Dec-LoRA gossip
    /// does, but Σ wᵢBᵢ·Σ wᵢAᵢ ≠ Σ wᵢBᵢAᵢ: the product picks up cross terms. Equal ranks only.
    case linear
    /// The weighted average of the products ΔWᵢ = sᵢ·Bᵢ·Aᵢ, re-factorised by truncated SVD to
    /// the output rank: the best rank-R approximation (Eckart-Young) of the exact average.
    case exact
    /// Concatenated ranks: A = [w₁A₁; w₂A₂; ...], B = [B₁, B₂, ...]. Exact, rank Σ rᵢ.
    case cat
    /// TIES-merging on the products: trim each ΔWᵢ to its largest-magnitude entries, elect a sign
    /// per entry by summed weighted mass, average the agreeing entries, then SVD to the rank.
    case ties
}

/// The knobs of `AdapterMerge.merge`.
public struct MergeOptions: Sendable {
    public var method: MergeMethod
    /// One weight per adapter (non-negative, normalised to sum 1); nil gives equal weights.
    public var weights: [Double]?
    /// Output rank for exact and ties; nil keeps the inputs' (largest) rank.
    public var rank: Int?
    /// TIES: the share of entries each task vector keeps, in (0, 1].
    public var density: Double
    /// Written into the merged adapter's provenance.
    public var swarmtuneVersion: String

    public init(method: MergeMethod, weights: [Double]? = nil, rank: Int? = nil, density: Double = 0.2,
                swarmtuneVersion: String = "unknown")
    {
        self.method = method
        self.weights = weights
        self.rank = rank
        self.density = density
        self.swarmtuneVersion = swarmtuneVersion
    }
}

/// How far a merge is from the exact weighted average Σ wᵢ·sᵢ·Bᵢ·Aᵢ (relative Frobenius error).
public struct MergeReport: Sendable {
    public struct SlotError: Sendable {
        public var slot: String
        /// ‖ΔW_merged − ΔW_exact‖_F.
        public var absolute: Double
        /// ‖ΔW_exact‖_F.
        public var exactNorm: Double
        /// absolute / exactNorm (0 when both are 0).
        public var relative: Double { exactNorm > 0 ? absolute / exactNorm : absolute }
    }

    public var method: MergeMethod
    public var rank: Int
    public var weights: [Double]
    /// In (layer, projection) order.
    public var slots: [SlotError]

    /// sqrt(Σ absolute²) / sqrt(Σ exactNorm²) over all slots.
    public var overallRelative: Double {
        let num = slots.reduce(0) { $0 + $1.absolute * $1.absolute }
        let den = slots.reduce(0) { $0 + $1.exactNorm * $1.exactNorm }
        return den > 0 ? (num / den).squareRoot() : num.squareRoot()
    }

    public var worst: SlotError? { slots.max { $0.relative < $1.relative } }
}
