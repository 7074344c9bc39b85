import SwarmBase
import Glibc

/// A generation counter threads can wait on: `advance()` wakes everyone waiting on an older generation.
/// Used by senders waiting for queue space and by `stop()` waiting for the loop to finish.
final class Gate: @unchecked Sendable {
    private let condition = MonotonicCondition()
    private var generationValue: UInt64 = 0  // under `condition`'s lock

    var generation: UInt64 { condition.withLock { generationValue } }

    func advance() {
        condition.withLock {
            generationValue &+= 1
            condition.broadcast()
        }
    }

    /// Waits until the generation differs from `seen` or the monotonic `deadline` (ns) passes.
    /// Returns false on timeout.
    func wait(past seen: UInt64, deadline: UInt64) -> Bool {
        condition.withLock {
            while generationValue == seen {
                if !condition.wait(untilMonotonic: deadline) { return generationValue != seen }
            }
            return true
        }
    }
}
