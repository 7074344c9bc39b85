import SwarmBase

/// Emulated link conditions on a node's outbound frames (`TransportConfiguration.linkEmulation`,
/// `swarmtune node --link-*`): latency, jitter, loss and bandwidth per peer, applied by the event
/// loop on its one write path with SwarmBase's `LinkEmulator` (the model the inproc backend's
/// virtual network uses), so a scenario's numbers mean the same on both backends.
///
/// Only payload frames (membership, factors) are emulated: each is held until the time the
/// emulator gives, then written (frames to one peer stay in order), or dropped whole when the
/// emulator says lost. The transport's own frames (hello, reason, bye) go out at once, so the
/// handshake and its timeouts are not emulated. A dropped frame never reaches TLS, so the stream
/// stays well formed: the peer simply never sees that frame.
public struct LinkEmulation: Sendable, Equatable {
    /// Every peer's link, unless `byAddress` names it.
    public var all: LinkConditions
    /// Per peer, keyed by the listen address its hello announces (`host:port`, as `--join` and
    /// the members list give it).
    public var byAddress: [String: LinkConditions]
    /// Seeds the loss and jitter draws.
    public var seed: UInt64

    public init(all: LinkConditions, byAddress: [String: LinkConditions] = [:], seed: UInt64) {
        self.all = all
        self.byAddress = byAddress
        self.seed = seed
    }

    /// The conditions of the link to a peer that announced `address`.
    public func conditions(toAddress address: String) -> LinkConditions {
        byAddress[address] ?? all
    }
}

/// The event loop's side of the emulation: the conditions in force, the per-peer link model, and
/// counts of what it did.
struct LinkShaper {
    var emulation: LinkEmulation
    var links: LinkEmulator<NodeID>

    init(_ emulation: LinkEmulation) {
        self.emulation = emulation
        links = LinkEmulator(random: SeededRandom(seed: emulation.seed ^ 0x4C49_4E4B_454D_5500))
    }

    /// When a frame of `bytes` to `peer` may be written, or nil: dropped.
    mutating func release(_ bytes: Int, to peer: PeerInfo, now: UInt64) -> UInt64? {
        links.arrival(on: peer.nodeID, emulation.conditions(toAddress: peer.hello.listenAddress), bytes: bytes, now: now)
    }
}
