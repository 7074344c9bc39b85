import SwarmBase
/// Limits and timeouts of a `TransportNode`. Defaults suit a swarm of tens of nodes on a LAN.
public struct TransportConfiguration: Sendable {
    /// Address to listen on ("host:port"; port 0 picks a free one). nil: dial only.
    public var listenAddress: String? = "127.0.0.1:0"
    /// Address announced in hello (what peers should dial); defaults to the bound listen address.
    public var advertisedAddress: String?
    /// Largest frame (kind + payload) sent or accepted.
    public var maxFrameLength = Frame.defaultMaxLength
    /// Most open connections (handshaking or established); extra inbound ones are closed at once.
    public var maxConnections = 256
    /// Most connections still in TLS/hello at once; extra inbound ones are closed at once.
    public var maxConcurrentHandshakes = 64
    /// Bytes queued per peer before `send` refuses (plus at most one frame being written).
    public var maxQueuedBytesPerPeer = 2 * Frame.defaultMaxLength
    /// Frames queued per peer before `send` refuses.
    public var maxQueuedFramesPerPeer = 4096
    /// From TCP connect/accept until both hellos are exchanged.
    public var handshakeTimeout: Duration = .seconds(10)
    /// An established connection with no bytes either way for this long is closed.
    public var idleTimeout: Duration = .seconds(120)
    /// A frame that started arriving must keep making progress within this time.
    public var readTimeout: Duration = .seconds(30)
    /// Queued output must keep draining within this time (a peer that stops reading is dropped).
    public var writeTimeout: Duration = .seconds(30)
    /// After sending reason/bye, how long to wait for the peer's close before closing anyway.
    public var closeLinger: Duration = .seconds(1)
    /// Redial policy for persistent dials.
    public var reconnect = Backoff()
    /// listen(2) backlog.
    public var listenBacklog: Int32 = 512
    /// Most bytes decrypted per TLS read call (straight into the frame decoder's buffer).
    public var receiveChunk = 64 << 10
    /// Diagnostic and test hook, off (nil) by default: called on the I/O thread with a copy of
    /// every plaintext byte range `SSL_write` accepted, in order per connection. Keep it short (it
    /// runs on the transport's only thread); nil costs one comparison per write and copies nothing.
    public var plaintextTap: (@Sendable (PlaintextWrite) -> Void)?
    /// Emulated latency, jitter, loss and bandwidth on outbound payload frames (`LinkEmulation`);
    /// nil (the default): none. `TransportNode.setLinkEmulation` changes it while running.
    public var linkEmulation: LinkEmulation?

    public init() {}
}
