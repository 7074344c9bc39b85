import Glibc

/// A multi-producer, single-consumer queue with a timed wait on the monotonic clock: the transport's
/// I/O thread and API callers post, the driver thread takes.
///
/// Bounded for what peers can cause: beyond `limit` items, `post(_:droppable: true)` drops (and counts)
/// instead of growing, so a flood of frames cannot exhaust memory while the driver is busy.
final class Mailbox<Item: Sendable>: @unchecked Sendable {
    // pthread objects must not move: allocated once, freed in deinit. All state under `mutex`.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var items: [Item] = []
    private var droppedCount = 0
    private let limit: Int

    init(limit: Int) {
        self.limit = limit
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    /// Queues `item`; a droppable item is refused when the queue is full. Returns whether it was queued.
    @discardableResult
    func post(_ item: Item, droppable: Bool = false) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if droppable && items.count >= limit {
            droppedCount += 1
            return false
        }
        items.append(item)
        pthread_cond_signal(condition)
        return true
    }

    /// Everything queued, waiting until something is or the monotonic `deadline` (ns) passes.
    func take(until deadline: UInt64) -> [Item] {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        var until = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        while items.isEmpty {
            if pthread_cond_timedwait(condition, mutex, &until) == ETIMEDOUT { break }
        }
        let taken = items
        items.removeAll(keepingCapacity: true)
        return taken
    }

    /// Items refused because the queue was full.
    var dropped: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return droppedCount
    }
}

/// Monotonic nanoseconds.
enum Monotonic {
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

/// Wall-clock milliseconds since the Unix epoch (for files people read).
enum WallClock {
    static func milliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
