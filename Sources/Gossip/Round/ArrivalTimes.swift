/// The adaptive deadline's memory: for each of the last `window` rounds, the slowest neighbour
/// arrival measured from this node's send (frames that came before the send count as 0).
struct ArrivalTimes: Sendable {
    private var slowest: [(round: UInt64, nanoseconds: UInt64)] = []

    /// Records an arrival `nanoseconds` after the send of `round` (a late one included).
    mutating func record(round: UInt64, nanoseconds: UInt64, window: Int) {
        if let index = slowest.lastIndex(where: { $0.round == round }) {
            slowest[index].nanoseconds = max(slowest[index].nanoseconds, nanoseconds)
            return
        }
        slowest.append((round, nanoseconds))
        if slowest.count > max(1, window) { slowest.removeFirst(slowest.count - max(1, window)) }
    }

    /// The deadline for the next round: `fallback` until anything was observed, then margin × the
    /// slowest recent arrival, within the bounds.
    func deadline(_ adaptive: AdaptiveDeadline, fallback: Duration) -> Duration {
        let low = adaptive.minimum.nanoseconds, high = max(low, adaptive.maximum.nanoseconds)
        guard let observed = slowest.map(\.nanoseconds).max() else {
            return .nanoseconds(Int64(clamping: min(high, max(low, fallback.nanoseconds))))
        }
        let scaled = Double(observed) * max(1, adaptive.margin)
        let target = scaled >= Double(high) ? high : UInt64(scaled)
        return .nanoseconds(Int64(clamping: min(high, max(low, target))))
    }
}
