import SwarmBase
import Glibc
/// Failures of the transport API calls (not of individual connections: see `CloseReason`).
public enum TransportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Certificates or keys could not be used.
    case certificate(CertificateError)
    /// TLS setup failed.
    case tls(String)
    /// An address could not be parsed or resolved.
    case invalidAddress(String, detail: String)
    /// A socket call failed.
    case socket(operation: String, errno: Int32)
    /// The peer is not connected (or not yet past its hello).
    case notConnected(NodeID)
    /// The peer's send queue is full: the peer reads slower than we send.
    case queueFull(NodeID, queuedBytes: Int, limit: Int)
    /// The frame is larger than the configured frame limit.
    case frameTooLarge(length: Int, limit: Int)
    /// The frame violates the protocol (see `FrameError`).
    case invalidFrame(FrameError)
    /// hello, reason and bye are sent by the transport itself.
    case reservedFrameKind(FrameKind)
    /// start() was called twice, or send/dial before start / after stop.
    case invalidState(String)

    public var description: String {
        switch self {
        case .certificate(let error): return "certificate problem: \(error)"
        case .tls(let detail): return "TLS: \(detail)"
        case let .invalidAddress(address, detail): return "invalid address '\(address)': \(detail)"
        case let .socket(operation, code): return "\(operation) failed: \(String(cString: strerror(code)))"
        case .notConnected(let peer): return "peer \(peer) is not connected"
        case let .queueFull(peer, queued, limit):
            return "send queue to \(peer) is full (\(queued) of \(limit) bytes queued): the peer is reading slower than we send"
        case let .frameTooLarge(length, limit): return "frame of \(length) bytes exceeds the limit of \(limit)"
        case .invalidFrame(let error): return "invalid frame: \(error)"
        case .reservedFrameKind(let kind): return "\(kind) frames are sent by the transport itself"
        case .invalidState(let detail): return detail
        }
    }
}
