import SwarmBase

/// What a hostile node sends in place of its honest factors: the faults a scenario's `hostile`
/// event injects, by the inproc backend into its simulated frames and by a real node (its fault
/// control file) into the frames it sends, so the honest nodes' acceptance checks meet them.
public enum HostileBehaviour: String, Sendable, Equatable, CaseIterable {
    /// Factors holding NaN.
    case nan
    /// Factors with an absurd norm (a poisoning attempt): every value × 1e6 + 1.
    case hugeNorm = "huge-norm"
    /// Tensors of the wrong shape (the first tensor one value short).
    case wrongShape = "wrong-shape"
    /// Frames claiming another node's id.
    case forgedSender = "forged-sender"
    /// An earlier round's frame sent again.
    case replay

    /// The factors message `body` from `sender` rewritten by a value behaviour (`nan`,
    /// `huge-norm`, `wrong-shape`); the others (and a body that does not decode) come back as
    /// they are. Tensors are re-encoded as f32.
    public func rewrite(_ body: [UInt8], sender: NodeID) -> [UInt8] {
        guard self == .nan || self == .hugeNorm || self == .wrongShape,
              var message = try? FactorsMessage.decode(body, sender: sender) else { return body }
        do {
            message.tensors = try message.tensors.enumerated().map { (i, t) throws(FactorsError) in
                var values = t.floats ?? []
                var shape = t.shape
                switch self {
                case .nan: values = values.map { _ in .nan }
                case .hugeNorm: values = values.map { $0 * 1e6 + 1 }
                default:
                    if i == 0 && !values.isEmpty {
                        values.removeLast()
                        shape = [values.count]
                    }
                }
                return try FactorTensor(name: t.name, shape: shape, floats: values)
            }
            return try message.encoded()
        } catch {
            return body
        }
    }
}
