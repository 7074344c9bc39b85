/// The kind byte that follows a frame's length prefix.
public enum FrameKind: UInt8, Sendable, CustomStringConvertible {
    case hello = 1
    case reason = 2
    case membership = 3
    case factors = 4
    case bye = 5

    public var description: String {
        switch self {
        case .hello: return "hello"
        case .reason: return "reason"
        case .membership: return "membership"
        case .factors: return "factors"
        case .bye: return "bye"
        }
    }
}
