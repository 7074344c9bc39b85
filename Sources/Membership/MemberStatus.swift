/// What a member is believed to be, as of some incarnation.
///
/// For one incarnation the states are ordered `alive < suspect < dead < left`: a later state overrides an
/// earlier one. A higher incarnation overrides any state of a lower one (that is how a member refutes a
/// suspicion and how a restarted member comes back).
public enum MemberStatus: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case alive = 0
    case suspect = 1
    case dead = 2
    case left = 3

    /// Alive and suspected members are probed and count towards the cluster size.
    public var isLive: Bool { self == .alive || self == .suspect }

    public var description: String {
        switch self {
        case .alive: "alive"
        case .suspect: "suspect"
        case .dead: "dead"
        case .left: "left"
        }
    }
}
