import SwarmBase

/// A multi-producer, single-consumer queue with a timed wait on the monotonic clock: the transport's
/// I/O thread and API callers post, the driver thread takes.
///
/// Bounded for what peers can cause: beyond `limit` items, `post(_:droppable: true)` drops (and counts)
/// instead of growing, so a flood of frames cannot exhaust memory while the driver is busy.
final class Mailbox<Item: Sendable>: @unchecked Sendable {
    private let condition = MonotonicCondition()
    // Under `condition`'s lock:
    private var items: [Item] = []
    private var droppedCount = 0
    private let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// Queues `item`; a droppable item is refused when the queue is full. Returns whether it was queued.
    @discardableResult
    func post(_ item: Item, droppable: Bool = false) -> Bool {
        condition.withLock {
            if droppable && items.count >= limit {
                droppedCount += 1
                return false
            }
            items.append(item)
            condition.signal()
            return true
        }
    }

    /// Everything queued, waiting until something is or the monotonic `deadline` (ns) passes.
    func take(until deadline: UInt64) -> [Item] {
        condition.withLock {
            while items.isEmpty {
                if !condition.wait(untilMonotonic: deadline) { break }
            }
            let taken = items
            items.removeAll(keepingCapacity: true)
            return taken
        }
    }

    /// Removes and returns the items matching `predicate`, leaving the others queued in order.
    func takeAll(where predicate: (Item) -> Bool) -> [Item] {
        condition.withLock {
            let taken = items.filter(predicate)
            items.removeAll(where: predicate)
            return taken
        }
    }

    /// Items refused because the queue was full.
    var dropped: Int { condition.withLock { droppedCount } }
}
