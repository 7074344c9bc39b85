import SwarmBase
/// What a payload frame carries, as a small registered number: the transport routes payloads by
/// kind without knowing their format. Unknown kinds from newer peers are delivered as they are
/// (the layer above ignores what it does not speak).
public struct PayloadKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// SWIM membership messages (`Membership.SWIMCodec`).
    public static let membership = PayloadKind(rawValue: 1)
    /// A node's LoRA factors for a gossip round (`Gossip.FactorsMessage`).
    public static let factors = PayloadKind(rawValue: 2)
    /// Test traffic of `swarmtune bench transport`.
    public static let benchmark = PayloadKind(rawValue: 255)

    public var description: String {
        switch self {
        case .membership: return "membership"
        case .factors: return "factors"
        case .benchmark: return "benchmark"
        default: return "payload-\(rawValue)"
        }
    }
}
