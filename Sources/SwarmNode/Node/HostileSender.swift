import Gossip
import SwarmBase

/// Fault injection for a real node: once turned hostile, rewrites each factors frame the node
/// sends by a `HostileBehaviour` (NaN values, a huge norm, a wrong shape, a forged sender, the
/// previous round's frame again), so a swarm's honest nodes can be tested against a hostile
/// member over real TLS. Off until `behaviour` is set (the node's `--fault-control` file, which
/// the process backend writes for a scenario's `hostile` event). The node's training and mixing
/// go on honestly; only what it sends changes.
public final class HostileSender: Sendable {
    private struct Sent {
        var round: UInt64
        var body: [UInt8]
    }

    private struct State {
        var behaviour: HostileBehaviour?
        /// Frames of rounds below this one go out honest (a turn timed to a round).
        var fromRound: UInt64 = 0
        /// Per neighbour, the genuine frame of the latest round sent and of the round before it
        /// (what `replay` sends again, also on a re-send of the latest round).
        var latest: [NodeID: Sent] = [:]
        var earlier: [NodeID: Sent] = [:]
    }

    private let me: NodeID
    private let state = LockedValue(State())

    public init(node: NodeID) {
        me = node
    }

    /// The behaviour in force (nil: honest), for frames of every round.
    public var behaviour: HostileBehaviour? {
        get { state.withLock { $0.behaviour } }
        set { turn(newValue) }
    }

    /// Turns hostile by `behaviour` (nil: honest again) for frames of round `fromRound` and later;
    /// frames of earlier rounds, such as a late node's current one, stay honest. One change, so no
    /// frame sees the behaviour without its round.
    public func turn(_ behaviour: HostileBehaviour?, fromRound: UInt64 = 0) {
        state.withLock {
            $0.behaviour = behaviour
            $0.fromRound = fromRound
        }
    }

    /// The id a forged frame claims: this node's with its first byte flipped, so it is never a
    /// certificate's id the receiver could have verified for this connection.
    public var forgedID: NodeID {
        var bytes = me.digest.bytes
        bytes[0] ^= 0xFF
        return NodeID(digest: Digest32(unchecked: bytes))
    }

    /// The frames that go out in place of `out` (for `NodeConfiguration.rewriteOutgoingFactors`).
    public func rewrite(_ out: OutgoingFactors) -> [OutgoingFactors] {
        let (behaviour, previous) = state.withLock { s -> (HostileBehaviour?, Sent?) in
            if let latest = s.latest[out.peer] {
                if latest.round < out.round {
                    s.earlier[out.peer] = latest
                    s.latest[out.peer] = Sent(round: out.round, body: out.body)
                }
            } else {
                s.latest[out.peer] = Sent(round: out.round, body: out.body)
            }
            return (out.round >= s.fromRound ? s.behaviour : nil, s.earlier[out.peer])
        }
        var frame = out
        switch behaviour {
        case nil:
            break
        case .forgedSender?:
            frame.claimedSender = forgedID
        case .replay?:
            if let previous, previous.round < out.round { frame.body = previous.body }
        case let value?:
            frame.body = value.rewrite(out.body, sender: me)
        }
        return [frame]
    }
}
