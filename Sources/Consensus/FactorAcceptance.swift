/// The checks a node applies to a neighbour's factors before they may enter its average.
///
/// A neighbour is not trusted: its vector must have the node's own length, finite values and a
/// norm within `maxNormRatio`·‖own‖ + `normFloor`. The floor keeps the rule usable at the start,
/// when a node's own B (or everything, in `frozen-a` mode) is still zero; the ratio stops a
/// poisoned or diverged neighbour (a 1000x norm) from dragging every honest node with it.
public struct FactorAcceptance: Sendable, Equatable {
    /// Largest accepted ‖received‖ / ‖own‖ (above the floor).
    public var maxNormRatio: Double
    /// Norm always accepted, whatever the node's own norm.
    public var normFloor: Double

    public init(maxNormRatio: Double = 10, normFloor: Double = 1) {
        self.maxNormRatio = maxNormRatio
        self.normFloor = normFloor
    }

    /// Why a received vector was refused.
    public enum Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        case wrongLength(expected: Int, received: Int)
        case nonFinite(index: Int)
        case normTooLarge(norm: Double, bound: Double)

        public var description: String {
            switch self {
            case let .wrongLength(expected, received):
                return "holds \(received) values, the adapter schema has \(expected)"
            case .nonFinite(let index):
                return "value \(index) is not finite (NaN or infinity)"
            case let .normTooLarge(norm, bound):
                return "norm \(Self.short(norm)) is over the bound \(Self.short(bound))"
            }
        }

        private static func short(_ x: Double) -> String {
            x.isFinite ? String(Double(Int((x * 1000).rounded())) / 1000) : "\(x)"
        }
    }

    /// Nil when `received` may be mixed with `own`, else the first rule it breaks.
    public func check(_ received: [Float], against own: [Float]) -> Refusal? {
        check(received, expectedCount: own.count, ownNorm: Mixing.norm(own))
    }

    /// The same rules given only the node's own length and norm (a node checking several frames
    /// in a round computes its norm once).
    public func check(_ received: [Float], expectedCount: Int, ownNorm: Double) -> Refusal? {
        guard received.count == expectedCount else { return .wrongLength(expected: expectedCount, received: received.count) }
        var sum = 0.0
        for (i, x) in received.enumerated() {
            guard x.isFinite else { return .nonFinite(index: i) }
            sum += Double(x) * Double(x)
        }
        let norm = sum.squareRoot()
        let bound = maxNormRatio * ownNorm + normFloor
        return norm <= bound ? nil : .normTooLarge(norm: norm, bound: bound)
    }
}
