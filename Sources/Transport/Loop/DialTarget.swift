import SwarmBase
/// An address the node keeps (re)dialing.
struct DialTarget {
    let id: UInt64
    let request: DialRequest
    var backoff: Backoff
    var connectionID: UInt64?
    var nextAttempt: UInt64
    /// Learned from the first verified certificate, to skip redialing a peer that is connected anyway.
    var knownPeer: NodeID?
}
