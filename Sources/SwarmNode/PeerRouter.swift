import SwarmBase
import Transport

/// Maps SWIM's addresses to transport connections, and holds messages for addresses being dialed.
///
/// SWIM addresses members by listen address; the transport sends to a verified node id over an
/// established connection. A peer is reachable under its hello's listen address and, for connections
/// this node dialed, under the dialed address too (a seed given as a name). Messages for an address
/// without a connection wait (at most `maxPendingPerAddress`, at most `dialTimeout`) while it is dialed
/// once; they are dropped, not retried, if the dial fails: SWIM treats delivery as best effort.
/// Pure bookkeeping: the caller performs dials and sends.
struct PeerRouter {
    struct Pending {
        var deadline: UInt64
        var payloads: [[UInt8]]
    }

    /// What to do with one outgoing payload.
    enum Route: Equatable {
        /// Send over the established connection to this peer.
        case send(NodeID)
        /// Queued; dial the address now (first message for it).
        case dial
        /// Queued behind a dial already in progress.
        case queued
        /// Dropped: too many messages already wait for this address.
        case dropped
    }

    let maxPendingPerAddress: Int
    let dialTimeout: UInt64
    private var byAddress: [String: NodeID] = [:]
    private var connections: [NodeID: PeerInfo] = [:]
    private var pending: [String: Pending] = [:]

    init(maxPendingPerAddress: Int, dialTimeout: UInt64) {
        self.maxPendingPerAddress = maxPendingPerAddress
        self.dialTimeout = dialTimeout
    }

    mutating func route(_ payload: [UInt8], to address: String, now: UInt64) -> Route {
        if let peer = byAddress[address], connections[peer] != nil { return .send(peer) }
        if var waiting = pending[address] {
            guard waiting.payloads.count < maxPendingPerAddress else { return .dropped }
            waiting.payloads.append(payload)
            pending[address] = waiting
            return .queued
        }
        pending[address] = Pending(deadline: now &+ dialTimeout, payloads: [payload])
        return .dial
    }

    /// Records an established connection; returns the messages that waited for it.
    mutating func connected(_ info: PeerInfo) -> [[UInt8]] {
        connections[info.nodeID] = info
        var flushed: [[UInt8]] = []
        for address in addresses(of: info) {
            byAddress[address] = info.nodeID
            if let waiting = pending.removeValue(forKey: address) { flushed += waiting.payloads }
        }
        return flushed
    }

    /// Forgets a closed connection (unless a newer one to the same peer replaced it).
    mutating func disconnected(_ info: PeerInfo) {
        guard connections[info.nodeID]?.connectionID == info.connectionID else { return }
        connections[info.nodeID] = nil
        byAddress = byAddress.filter { $0.value != info.nodeID }
    }

    /// A send failed because the peer is gone: forget it so the next message dials again.
    mutating func forget(_ peer: NodeID) {
        connections[peer] = nil
        byAddress = byAddress.filter { $0.value != peer }
    }

    /// An outbound dial ended without a connection. When the address is reachable through another
    /// connection anyway (both sides dialed at once and the transport kept the other one), returns the
    /// waiting messages for it; otherwise drops them and returns how many were dropped.
    mutating func dialFailed(_ address: String) -> (redirect: (peer: NodeID, payloads: [[UInt8]])?, dropped: Int) {
        guard let waiting = pending.removeValue(forKey: address) else { return (nil, 0) }
        if let peer = byAddress[address], connections[peer] != nil { return ((peer, waiting.payloads), 0) }
        return (nil, waiting.payloads.count)
    }

    /// Drops messages whose dial has not completed in time; returns how many were dropped.
    mutating func expire(now: UInt64) -> Int {
        var dropped = 0
        for (address, waiting) in pending where waiting.deadline <= now {
            dropped += waiting.payloads.count
            pending[address] = nil
        }
        return dropped
    }

    /// The earliest pending dial deadline.
    var nextDeadline: UInt64? { pending.values.map(\.deadline).min() }

    var connectedCount: Int { connections.count }

    private func addresses(of info: PeerInfo) -> [String] {
        var result: [String] = []
        if !info.hello.listenAddress.isEmpty { result.append(info.hello.listenAddress) }
        if info.direction == .outbound && info.remoteAddress != info.hello.listenAddress {
            result.append(info.remoteAddress)
        }
        return result
    }
}
