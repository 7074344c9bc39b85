import Glibc

/// A generation counter threads can wait on: `advance()` wakes everyone waiting on an older generation.
/// Used by senders waiting for queue space and by `stop()` waiting for the loop to finish.
final class Gate: @unchecked Sendable {
    // pthread objects must not move: allocated once, freed in deinit. All access under `mutex`.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var generationValue: UInt64 = 0

    init() {
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

    var generation: UInt64 {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return generationValue
    }

    func advance() {
        pthread_mutex_lock(mutex)
        generationValue &+= 1
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Waits until the generation differs from `seen` or the monotonic `deadline` (ns) passes.
    /// Returns false on timeout.
    func wait(past seen: UInt64, deadline: UInt64) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        var until = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        while generationValue == seen {
            if pthread_cond_timedwait(condition, mutex, &until) == ETIMEDOUT {
                return generationValue != seen
            }
        }
        return true
    }
}
