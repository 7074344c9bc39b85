/// The trained tensors of one adapted projection, row-major Float.
///
/// The projection computes `y = W·x + scale · B·(A·x)` (LoRA) or, with DoRA,
/// `y = magnitude ⊙ (W + scale·B·A)·x / ‖W + scale·B·A‖_row`.
public struct LoRAFactors: Sendable, Hashable {
    public var rank: Int
    public var inFeatures: Int
    public var outFeatures: Int
    /// A: [rank, inFeatures].
    public var a: [Float]
    /// B: [outFeatures, rank].
    public var b: [Float]
    /// DoRA magnitude: [outFeatures]; nil for plain LoRA.
    public var magnitude: [Float]?

    public init(rank: Int, inFeatures: Int, outFeatures: Int, a: [Float], b: [Float], magnitude: [Float]? = nil) {
        self.rank = rank
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.a = a
        self.b = b
        self.magnitude = magnitude
    }

    /// A = 0, B = 0 (and magnitude 1 when `dora`): a placeholder with the right shapes.
    public static func zeros(rank: Int, inFeatures: Int, outFeatures: Int, dora: Bool = false) -> LoRAFactors {
        LoRAFactors(rank: rank, inFeatures: inFeatures, outFeatures: outFeatures,
                    a: [Float](repeating: 0, count: rank * inFeatures),
                    b: [Float](repeating: 0, count: outFeatures * rank),
                    magnitude: dora ? [Float](repeating: 1, count: outFeatures) : nil)
    }

    public var aShape: [Int] { [rank, inFeatures] }
    public var bShape: [Int] { [outFeatures, rank] }
    public var magnitudeShape: [Int] { [outFeatures] }
}
