import Foundation

/// Axis ticks at "nice" values: steps of 1, 2 or 5 × 10^k on a linear axis, powers of ten (with
/// 2…9 × 10^k as minor ticks) on a log axis. Pure: a range in, tick values out.
public enum NiceTicks {
    /// A linear axis: the range widened outwards to whole steps, and every tick on it.
    public struct Linear: Sendable, Equatable {
        public var lower: Double
        public var upper: Double
        /// 1, 2 or 5 × 10^k.
        public var step: Double
        /// From `lower` to `upper` inclusive, `step` apart.
        public var ticks: [Double]
    }

    /// A log axis: whole decades covering the range.
    public struct Log: Sendable, Equatable {
        /// The lowest and highest power of ten, as exponents.
        public var lowerExponent: Int
        public var upperExponent: Int
        /// Labelled ticks: 10^k for every `stride`-th exponent (every one for up to 8 decades).
        public var major: [Double]
        /// Unlabelled ticks: 2…9 × 10^k inside the range (none past 6 decades, where they crowd).
        public var minor: [Double]
        public var lower: Double { pow(10, Double(lowerExponent)) }
        public var upper: Double { pow(10, Double(upperExponent)) }
    }

    /// The smallest 1, 2 or 5 × 10^k at least `raw` (raw > 0 and finite).
    public static func niceStep(atLeast raw: Double) -> Double {
        let magnitude = pow(10, floor(log10(raw)))
        let f = raw / magnitude
        let m: Double = f <= 1 + 1e-9 ? 1 : f <= 2 + 1e-9 ? 2 : f <= 5 + 1e-9 ? 5 : 10
        return m * magnitude
    }

    /// About `target` intervals covering `lower...upper` (swapped if reversed). A degenerate range
    /// (one value, or non-finite ends) is widened to one that shows the value: 0 becomes 0...1.
    public static func linear(lower: Double, upper: Double, target: Int = 5) -> Linear {
        var lo = lower.isFinite ? lower : 0, hi = upper.isFinite ? upper : (lower.isFinite ? lower : 1)
        if lo > hi { swap(&lo, &hi) }
        // A summary's figures are a file's numbers: past ±1e300 the span hi - lo would overflow to
        // infinity and the step with it.
        (lo, hi) = (min(max(lo, -1e300), 1e300), min(max(hi, -1e300), 1e300))
        if hi - lo <= max(abs(hi), abs(lo)) * 1e-12 {
            if lo == 0 { hi = 1 } else {
                let pad = abs(lo) * 0.5
                (lo, hi) = lo > 0 ? (0, hi + pad) : (lo - pad, 0)
            }
        }
        let step = niceStep(atLeast: (hi - lo) / Double(max(1, target)))
        let firstIndex = Int((lo / step + 1e-9).rounded(.down)), lastIndex = Int((hi / step - 1e-9).rounded(.up))
        let ticks = (firstIndex...max(firstIndex + 1, lastIndex)).map { clean(Double($0) * step, step: step) }
        return Linear(lower: ticks.first!, upper: ticks.last!, step: step, ticks: ticks)
    }

    /// Whole decades covering `lower...upper` (both must be positive; a non-positive or
    /// non-finite end is replaced by the other, and a single value gets the decade around it).
    public static func log(lower: Double, upper: Double) -> Log {
        var lo = lower, hi = upper
        if !(lo > 0 && lo.isFinite) { lo = hi > 0 && hi.isFinite ? hi : 1 }
        if !(hi > 0 && hi.isFinite) { hi = lo }
        if lo > hi { swap(&lo, &hi) }
        // Decades within 1e±200, so the labelled top decade (up to a stride above hi) is a finite
        // power of ten: a summary's figures are a file's numbers, 1.7e308 made pow(10, 309) infinite.
        (lo, hi) = (min(max(lo, 1e-200), 1e200), min(max(hi, 1e-200), 1e200))
        let a = Int(floor(log10(lo) + 1e-9)); var b = Int(ceil(log10(hi) - 1e-9))
        if b <= a { b = a + 1 }
        let stride = b - a <= 8 ? 1 : (b - a + 7) / 8
        b = a + (b - a + stride - 1) / stride * stride  // the top decade labelled too
        let decades = b - a
        let major = Swift.stride(from: a, through: b, by: 1).filter { ($0 - a) % stride == 0 }.map { pow(10, Double($0)) }
        var minor: [Double] = []
        if decades <= 6 {
            for k in a..<b { for m in 2...9 { minor.append(Double(m) * pow(10, Double(k))) } }
        }
        return Log(lowerExponent: a, upperExponent: b, major: major, minor: minor)
    }

    /// `x` with the binary noise of `i × step` removed (0.30000000000000004 → 0.3), and no −0.
    static func clean(_ x: Double, step: Double) -> Double {
        let decimals = max(0, -Int(floor(log10(step))))
        let scale = pow(10, Double(min(decimals, 15)))
        let v = (x * scale).rounded() / scale
        return v == 0 ? 0 : v
    }
}
