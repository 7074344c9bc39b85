import SwarmBase
/// Counters for monitoring and tests.
public struct TransportStatistics: Sendable, Equatable {
    public var accepted = 0
    public var shed = 0
    public var dialed = 0
    public var established = 0
    public var refused = 0
    public var disconnected = 0
    public var framesSent = 0
    public var framesReceived = 0
    public var bytesSent = 0
    public var bytesReceived = 0
    /// Payloads whose sender was not the TLS-verified peer (each closed its connection).
    public var forgedSender = 0
    /// Payload frames the link emulator dropped (`TransportConfiguration.linkEmulation`).
    public var linkDropped = 0
    /// Highest number of simultaneous connections / handshakes seen.
    public var peakConnections = 0
    public var peakHandshakes = 0
    /// Current numbers.
    public var openConnections = 0
    public var openHandshakes = 0
    public var queuedBytes = 0
}
