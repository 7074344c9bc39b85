#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A source of monotonic time in nanoseconds, injected into every protocol driver so timeouts
/// and deadlines can be tested in virtual time.
public protocol NanosecondClock: Sendable {
    /// Nanoseconds since an arbitrary fixed start; never decreases.
    func now() -> UInt64
}

/// CLOCK_MONOTONIC: the clock of every real deadline in the project (the condition variable
/// waits on it too).
public struct MonotonicClock: NanosecondClock {
    public init() {}

    public func now() -> UInt64 { Self.now() }

    /// Monotonic nanoseconds.
    public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

/// A clock that moves only when told: virtual time for tests and simulations.
public final class ManualClock: NanosecondClock {
    private let time: Mutex<UInt64>

    public init(start: UInt64 = 0) { time = Mutex(start) }

    public func now() -> UInt64 { time.withLock { $0 } }

    /// Moves the clock forward by `duration`.
    public func advance(by duration: Duration) {
        time.withLock { $0 += duration.nanoseconds }
    }

    /// Sets the clock to `instant`, if that is later than now.
    public func advance(to instant: UInt64) {
        time.withLock { $0 = max($0, instant) }
    }
}

/// A point in monotonic time by which something must happen.
public struct Deadline: Comparable, Hashable, Sendable {
    /// Monotonic nanoseconds.
    public let nanoseconds: UInt64

    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    /// `duration` after `now`, saturating instead of overflowing.
    public init(after duration: Duration, from now: UInt64) {
        let (sum, overflow) = now.addingReportingOverflow(duration.nanoseconds)
        nanoseconds = overflow ? .max : sum
    }

    /// A deadline that never passes.
    public static let never = Deadline(nanoseconds: .max)

    /// Whether `now` is at or past the deadline.
    public func hasPassed(at now: UInt64) -> Bool { now >= nanoseconds }

    /// Nanoseconds left at `now` (0 once passed).
    public func remaining(at now: UInt64) -> UInt64 { nanoseconds > now ? nanoseconds - now : 0 }

    public static func < (lhs: Deadline, rhs: Deadline) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
}

extension Duration {
    /// Whole nanoseconds, clamped at zero (and at UInt64.max): the one conversion to the
    /// nanosecond clocks.
    public var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        if seconds < 0 || (seconds == 0 && attoseconds < 0) { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return .max }
        let (sum, overflow2) = whole.addingReportingOverflow(UInt64(attoseconds / 1_000_000_000))
        return overflow2 ? .max : sum
    }

    /// Whole milliseconds, clamped at zero.
    public var milliseconds: UInt64 { nanoseconds / 1_000_000 }

    /// This duration in seconds, as a Double (for display and rates).
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
