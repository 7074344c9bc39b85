import SwarmBase
/// Which side opened a connection.
public enum ConnectionDirection: String, Sendable {
    case inbound
    case outbound
}

/// A connected, verified peer.
public struct PeerInfo: Sendable, Hashable {
    /// Id derived from the certificate TLS verified (equals `hello.nodeID`).
    public let nodeID: NodeID
    public let hello: Hello
    /// The socket's remote address.
    public let remoteAddress: String
    public let direction: ConnectionDirection
    /// Unique per node run, to tell a reconnection from the previous connection.
    public let connectionID: UInt64
}

/// A connection that never got past TLS and hello.
public struct ConnectionAttempt: Sendable, Hashable {
    public let remoteAddress: String
    public let direction: ConnectionDirection
    public let connectionID: UInt64
    /// Known once TLS verified the peer certificate.
    public let certifiedID: NodeID?
}

/// Which timeout fired.
public enum TimeoutKind: String, Sendable {
    case handshake, idle, read, write
}

/// Why a connection ended.
public enum CloseReason: Sendable, Equatable, CustomStringConvertible {
    /// We refused the peer and told it why.
    case rejectedByUs(Reason)
    /// The peer refused us (or ended the conversation) with a reason frame.
    case rejectedByPeer(Reason)
    /// TLS failed: certificate not trusted, expired, wrong protocol version, not TLS at all...
    case tlsFailure(String)
    /// The peer sent bytes that are not a valid frame.
    case protocolError(FrameError)
    case timeout(TimeoutKind)
    /// The peer closed without bye.
    case peerClosed
    /// The peer said bye.
    case bye
    /// `disconnect` was called.
    case localClose
    /// `stop` was called.
    case stopped
    /// Inbound connection refused at accept because a limit was reached.
    case overloaded(String)
    /// TCP connect failed.
    case connectFailed(String)
    /// A socket error on an open connection.
    case ioError(String)

    /// The connection ended as the duplicate of another to the same peer (both dialed at once, or a
    /// reconnect racing the old connection): the peer stays connected over the other one.
    public var isDuplicate: Bool {
        switch self {
        case .rejectedByUs(let reason), .rejectedByPeer(let reason): return reason.code == .duplicateConnection
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .rejectedByUs(let reason): return "refused the peer: \(reason)"
        case .rejectedByPeer(let reason): return "refused by the peer: \(reason)"
        case .tlsFailure(let detail): return detail
        case .protocolError(let error): return "protocol error: \(error)"
        case .timeout(let kind): return "\(kind.rawValue) timeout"
        case .peerClosed: return "peer closed the connection"
        case .bye: return "peer said bye"
        case .localClose: return "closed locally"
        case .stopped: return "node stopped"
        case .overloaded(let detail): return "refused at accept: \(detail)"
        case .connectFailed(let detail): return "connect failed: \(detail)"
        case .ioError(let detail): return "I/O error: \(detail)"
        }
    }
}

/// What a `TransportNode` reports to the layer above, in order per connection.
public enum TransportEvent: Sendable {
    /// TLS verified the peer against the swarm CA and both hellos matched.
    case connected(PeerInfo)
    /// A payload from a connected peer; its sender is `from.nodeID` (the transport checked).
    case received(Payload, from: PeerInfo)
    /// A connected peer went away.
    case disconnected(PeerInfo, CloseReason)
    /// A connection failed before it was established (bad certificate, hello mismatch, timeout...).
    case refused(ConnectionAttempt, CloseReason)
}
