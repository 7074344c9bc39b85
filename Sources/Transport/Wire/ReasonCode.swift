import SwarmBase
/// Reason codes. Unknown codes from newer peers are kept as-is, not rejected.
public struct ReasonCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let versionMismatch = ReasonCode(rawValue: 1)
    public static let swarmMismatch = ReasonCode(rawValue: 2)
    public static let coreHashMismatch = ReasonCode(rawValue: 3)
    public static let schemaMismatch = ReasonCode(rawValue: 4)
    public static let nodeIDMismatch = ReasonCode(rawValue: 5)
    public static let protocolError = ReasonCode(rawValue: 6)
    public static let duplicateConnection = ReasonCode(rawValue: 7)
    public static let overloaded = ReasonCode(rawValue: 8)
    public static let shuttingDown = ReasonCode(rawValue: 9)
    public static let timeout = ReasonCode(rawValue: 10)
    public static let unexpectedPeer = ReasonCode(rawValue: 11)

    public var description: String {
        switch self {
        case .versionMismatch: return "version-mismatch"
        case .swarmMismatch: return "swarm-mismatch"
        case .coreHashMismatch: return "core-hash-mismatch"
        case .schemaMismatch: return "schema-mismatch"
        case .nodeIDMismatch: return "node-id-mismatch"
        case .protocolError: return "protocol-error"
        case .duplicateConnection: return "duplicate-connection"
        case .overloaded: return "overloaded"
        case .shuttingDown: return "shutting-down"
        case .timeout: return "timeout"
        case .unexpectedPeer: return "unexpected-peer"
        default: return "code-\(rawValue)"
        }
    }
}
