import SwarmBase

/// Membership updates waiting to be piggy-backed, at most one per member (the newest), each sent a bounded
/// number of times, least-sent first.
struct DisseminationQueue {
    private struct Entry {
        var update: MembershipUpdate
        var transmissions: Int
        var version: UInt64
    }

    /// The current update per member.
    private var entries: [NodeID: Entry] = [:]
    /// buckets[t] holds members whose update has been sent t times (entries may be stale; checked by version).
    private var buckets: [[(id: NodeID, version: UInt64)]] = [[]]
    private var nextVersion: UInt64 = 0

    var count: Int { entries.count }

    /// Queues `update`, replacing any older update about the same member.
    mutating func enqueue(_ update: MembershipUpdate) {
        nextVersion &+= 1
        entries[update.id] = Entry(update: update, transmissions: 0, version: nextVersion)
        buckets[0].append((update.id, nextVersion))
    }

    /// The queued update about `id`, if any.
    func pending(for id: NodeID) -> MembershipUpdate? { entries[id]?.update }

    /// Takes up to `limit` least-sent updates and counts one transmission for each; updates sent
    /// `retransmitLimit` times are dropped.
    mutating func take(_ limit: Int, retransmitLimit: Int) -> [MembershipUpdate] {
        if entries.isEmpty {
            if buckets.count > 1 || !buckets[0].isEmpty { buckets = [[]] }
            return []
        }
        guard limit > 0 else { return [] }
        var taken: [MembershipUpdate] = []
        var sent: [(NodeID, Entry)] = []
        var level = 0
        while taken.count < limit && level < buckets.count {
            guard let (id, version) = buckets[level].popLast() else { level += 1; continue }
            guard var entry = entries[id], entry.version == version, entry.transmissions == level else { continue }
            taken.append(entry.update)
            entry.transmissions += 1
            sent.append((id, entry))
        }
        for (id, entry) in sent {
            if entry.transmissions >= retransmitLimit {
                entries[id] = nil
            } else {
                entries[id] = entry
                if buckets.count <= entry.transmissions { buckets.append([]) }
                buckets[entry.transmissions].append((id, entry.version))
            }
        }
        return taken
    }
}
