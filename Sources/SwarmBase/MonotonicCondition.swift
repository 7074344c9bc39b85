#if canImport(Glibc)
import Glibc
#endif

/// A mutex and a condition variable on the monotonic clock, as one object whose pthread state
/// never moves: the one blocking primitive of the project (mailboxes, gates, latches). Plain
/// mutual exclusion without waiting uses the standard library's `Synchronization.Mutex`, or
/// `LockedValue` where a Mutex failed (the transport's shared state; see there).
public final class MonotonicCondition: @unchecked Sendable {
    // pthread objects must not move: allocated once, freed in deinit.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    public init() {
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

    /// Runs `body` holding the mutex.
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// With the mutex held (inside `withLock`): sleeps until signalled or the monotonic `deadline`
    /// (ns) passes. Returns false on timeout. Callers re-check their condition in a loop.
    @discardableResult
    public func wait(untilMonotonic deadline: UInt64) -> Bool {
        var until = timespec(tv_sec: Int(min(deadline / 1_000_000_000, UInt64(Int.max))),
                             tv_nsec: Int(deadline % 1_000_000_000))
        return pthread_cond_timedwait(condition, mutex, &until) != ETIMEDOUT
    }

    /// With the mutex held: sleeps until signalled (no deadline).
    public func wait() { pthread_cond_wait(condition, mutex) }

    /// With the mutex held: wakes one waiter.
    public func signal() { pthread_cond_signal(condition) }

    /// With the mutex held: wakes every waiter.
    public func broadcast() { pthread_cond_broadcast(condition) }
}

/// A one-shot gate: `open()` once, and every `wait()` (before or after) returns.
public final class Latch: @unchecked Sendable {
    private let condition = MonotonicCondition()
    private var opened = false  // under `condition`

    public init() {}

    public func open() {
        condition.withLock {
            opened = true
            condition.broadcast()
        }
    }

    public func wait() {
        condition.withLock { while !opened { condition.wait() } }
    }

    public var isOpen: Bool { condition.withLock { opened } }
}
