import Membership
import SwarmBase
import Transport

/// Everything a `MembershipDriver` needs besides the node's TLS identity.
public struct MembershipDriverConfiguration: Sendable {
    /// Announced in hello; peers of another swarm are refused by the transport.
    public var swarmID: String
    /// Hash of the frozen base model; announced in hello and in SWIM metadata.
    public var coreHash: Digest32
    /// Hash of the adapter schema; announced in hello and in SWIM metadata.
    public var schemaHash: Digest32
    /// Extra SWIM metadata (e.g. `["role": "trainer"]`).
    public var capabilities: [String: String] = [:]
    /// Protocol timing; scale `probeInterval`, `probeTimeout`, `relayTimeout`, `gossipInterval` and
    /// `joinRetryInterval` together when changing the period (see `SWIMSettings.scaled(probePeriod:)`).
    public var swim = SWIMSettings()
    /// The transport: its `listenAddress` must be set (members must be reachable).
    public var transport = TransportConfiguration()
    /// Where `membership.json` (incarnation) and `members.json` (the view) live; nil keeps no state.
    public var stateDirectory: String?
    /// How often `members.json` is rewritten; nil: every `swim.probeInterval`.
    public var membersFileInterval: Duration?
    /// How long `leave()` keeps the node running so the news spreads before it stops.
    public var leaveGrace: Duration = .seconds(2)
    /// How long messages wait for a dial to a member's address before they are dropped.
    public var dialTimeout: Duration = .seconds(2)
    /// Messages held per address while it is dialed; more are dropped.
    public var maxPendingPerAddress = 32
    /// Transport events queued for the driver thread; received frames beyond it are dropped.
    public var mailboxLimit = 4096

    public init(swarmID: String, coreHash: Digest32, schemaHash: Digest32 = .zero) {
        self.swarmID = swarmID
        self.coreHash = coreHash
        self.schemaHash = schemaHash
    }
}

extension SWIMSettings {
    /// The default settings with every period-related timing scaled to `probePeriod` (default 1 s):
    /// probe timeout 1/2, relay timeout 2/5, gossip interval 1/5, join retry 2 periods, reconnect to
    /// the dead 5 periods, push-pull 30 periods (so a short test period also heals missed refutations
    /// quickly). Tombstones stay absolute.
    public static func scaled(probePeriod: Duration) -> SWIMSettings {
        var settings = SWIMSettings()
        settings.probeInterval = probePeriod
        settings.probeTimeout = probePeriod / 2
        settings.relayTimeout = probePeriod * 2 / 5
        settings.gossipInterval = probePeriod / 5
        settings.joinRetryInterval = probePeriod * 2
        settings.pushPullInterval = probePeriod * 30
        settings.reconnectInterval = probePeriod * 5
        return settings
    }
}
