import Foundation

/// One axis of a plot: its scale, range, ticks with labels, and the mapping from values to pixels.
public struct PlotAxis: Sendable {
    public enum Scale: Sendable, Equatable {
        case linear
        case log
        /// Log when every value is positive and the largest is at least 100 times the smallest,
        /// linear otherwise.
        case auto
    }

    public struct Tick: Sendable, Equatable {
        public var value: Double
        public var label: String?
    }

    public let isLog: Bool
    public let lower: Double
    public let upper: Double
    public let ticks: [Tick]
    public let minorTicks: [Double]
    /// The axis title with its unit, e.g. "bytes sent (MiB)".
    public let title: String

    /// An axis covering every finite value of `values` (non-positive ones are left out on a log
    /// axis); `floor` pins a linear axis's lower end (0 for bars and counts), `ceiling` its upper.
    public init(values: [Double], scale: Scale, title: String, floor: Double? = nil, ceiling: Double? = nil,
                labels: ((Double, Double) -> String)? = nil) {
        self.title = title
        let finite = values.filter(\.isFinite)
        let positive = finite.filter { $0 > 0 }
        let log: Bool
        switch scale {
        case .linear: log = false
        case .log: log = true
        case .auto:
            log = !positive.isEmpty && positive.count == finite.count && (positive.max()! / positive.min()! >= 100)
        }
        isLog = log
        if log {
            let t = NiceTicks.log(lower: positive.min() ?? 1, upper: positive.max() ?? 1)
            lower = t.lower
            upper = t.upper
            ticks = t.major.map { Tick(value: $0, label: Figures.powerOfTen(Int(log10($0).rounded()))) }
            minorTicks = t.minor
        } else {
            var lo = finite.min() ?? 0, hi = finite.max() ?? 1
            if let floor { lo = Swift.min(lo, floor) }
            if let ceiling { hi = Swift.max(hi, ceiling) }
            let t = NiceTicks.linear(lower: lo, upper: hi)
            lower = t.lower
            upper = t.upper
            ticks = t.ticks.map { Tick(value: $0, label: labels?($0, t.step) ?? Figures.tick($0, step: t.step)) }
            minorTicks = []
        }
    }

    /// Where `v` falls between `a` (at `lower`) and `b` (at `upper`); nil for a value the axis
    /// cannot show (non-finite, or not positive on a log axis).
    public func position(_ v: Double, from a: Double, to b: Double) -> Double? {
        guard v.isFinite else { return nil }
        let t: Double
        if isLog {
            guard v > 0 else { return nil }
            t = (log10(v) - log10(lower)) / (log10(upper) - log10(lower))
        } else {
            t = (v - lower) / (upper - lower)
        }
        guard t.isFinite else { return nil }
        return a + (b - a) * t
    }
}
