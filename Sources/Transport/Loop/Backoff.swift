import SwarmBase
/// Reconnect delays: exponential growth with a cap, and "equal jitter" so that many nodes
/// losing the same peer do not redial in lockstep.
///
/// Pure: the random source is passed in, so tests are deterministic.
public struct Backoff: Sendable, Equatable {
    public var initial: Duration
    public var maximum: Duration
    public var multiplier: Double
    /// Failed attempts since the last success.
    public private(set) var attempts: Int = 0

    public init(initial: Duration = .milliseconds(200), maximum: Duration = .seconds(30), multiplier: Double = 2) {
        self.initial = initial
        self.maximum = max(maximum, initial)
        self.multiplier = max(1, multiplier)
    }

    /// The un-jittered delay for the next attempt: initial x multiplier^attempts, capped at maximum.
    public var ceiling: Duration {
        let base = Double(initial.nanoseconds)
        let cap = Double(maximum.nanoseconds)
        var value = base
        var step = 0
        while step < attempts && value < cap {
            value *= multiplier
            step += 1
        }
        return .nanoseconds(Int64(min(value, cap)))
    }

    /// The delay before the next attempt, uniform in [ceiling/2, ceiling]; counts the attempt.
    public mutating func nextDelay(using random: inout some RandomNumberGenerator) -> Duration {
        let top = ceiling.nanoseconds
        let half = top / 2
        attempts += 1
        let jitter = half == 0 ? 0 : UInt64.random(in: 0...(top - half), using: &random)
        return .nanoseconds(Int64(half + jitter))
    }

    /// After a successful connection, start again from `initial`.
    public mutating func reset() {
        attempts = 0
    }
}
