import SwarmBase
/// The kind byte that follows a frame's length prefix. (4 was the LoRA factors frame of protocol
/// version 1; factors now travel as a payload.)
public enum FrameKind: UInt8, Sendable, CustomStringConvertible {
    case hello = 1
    case reason = 2
    case payload = 3
    case bye = 5

    public var description: String {
        switch self {
        case .hello: return "hello"
        case .reason: return "reason"
        case .payload: return "payload"
        case .bye: return "bye"
        }
    }
}
