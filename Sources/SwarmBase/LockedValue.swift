#if canImport(Glibc)
import Glibc
#endif

/// A value behind a pthread mutex: mutual exclusion without waiting, for state that several
/// threads share (the transport's peers and send queues).
///
/// The transport used `Synchronization.Mutex` here. In release builds of Swift 6.3 on Linux its
/// priority-inheritance futex failed to unlock (EPERM, "Call to unlock Mutex on a thread which
/// hasn't acquired the lock") in the event loop once the loop gained the link emulator's fields,
/// on every real-core run of four node processes; debug builds never did. A plain pthread mutex
/// keeps no thread id in user space, so it has no such failure.
public final class LockedValue<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    public init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` on the value with the mutex held.
    public func withLock<T, E: Error>(_ body: (inout Value) throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
