/// Counters of a `MembershipDriver` since it started.
public struct MembershipDriverStatistics: Sendable, Equatable {
    /// SWIM messages accepted and fed to the state machine.
    public var received = 0
    /// SWIM messages handed to the transport.
    public var sent = 0
    /// Payloads whose sender differed from the TLS-verified peer: refused by the transport, which
    /// closes such a connection (the transport's count).
    public var forgedSender = 0
    /// Membership updates about members with another core or adapter schema hash: removed before use.
    public var foreignMetadata = 0
    /// Membership frames that did not decode: dropped.
    public var undecodable = 0
    /// Non-membership frames received (the driver ignores them).
    public var ignoredFrames = 0
    /// Outbound dials started for SWIM messages.
    public var dials = 0
    /// Messages dropped because their address could not be reached (dial failed or timed out, queue full).
    public var undeliverable = 0
    /// Messages the transport refused (peer gone, queue full).
    public var sendFailures = 0
    /// Frames dropped because the driver's queue was full.
    public var mailboxDropped = 0
    /// Failed writes of the state directory's files.
    public var stateWriteFailures = 0

    public init() {}
}
