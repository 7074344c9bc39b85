import SwarmBase
/// State shared between API threads and the event loop, always under the node's lock (`NodeCore.state`).
struct SharedState: Sendable {
    struct PeerEntry: Sendable {
        var info: PeerInfo
        var outbox = Outbox()
    }

    var started = false
    var stopping = false
    var finished = false
    var localHello: Hello?
    var commands: [LoopCommand] = []
    /// Established peers and their send queues.
    var peers: [NodeID: PeerEntry] = [:]
    /// Outboxes of peers whose connection just ended as a duplicate, waiting for the kept connection
    /// to be established here (then carried onto it), with when they were set aside.
    var orphans: [NodeID: (outbox: Outbox, since: UInt64)] = [:]
    /// Peers whose outbox gained frames since the loop last looked.
    var dirty: Set<NodeID> = []
    var waitingSenders = 0
    /// The link emulation asked for (`TransportNode.setLinkEmulation`) and how many times it was
    /// set; the loop adopts it when it pops frames, under this lock, so a frame sent after the
    /// call returns is emulated with it.
    var linkEmulation: LinkEmulation?
    var linkEmulationVersion = 0
    var statistics = TransportStatistics()
}
