/// A point in the driver's time, in nanoseconds since an epoch the driver chooses (process start, virtual
/// time zero). The state machine never reads a clock: every event carries the current `SWIMTime`.
public struct SWIMTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static let zero = SWIMTime(nanoseconds: 0)

    public static func + (time: SWIMTime, duration: Duration) -> SWIMTime {
        SWIMTime(nanoseconds: time.nanoseconds &+ duration.nanoseconds)
    }

    public static func - (lhs: SWIMTime, rhs: SWIMTime) -> Duration { .nanoseconds(lhs.nanoseconds &- rhs.nanoseconds) }

    public static func < (lhs: SWIMTime, rhs: SWIMTime) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public var description: String { "\(Double(nanoseconds) / 1e9)s" }

    /// `self` advanced by `nanoseconds`.
    func advanced(by nanoseconds: Int64) -> SWIMTime { SWIMTime(nanoseconds: self.nanoseconds &+ nanoseconds) }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating at Int64 bounds).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return scaled &+ attoseconds / 1_000_000_000
    }
}
