import Foundation
import Report
import Testing

@Suite("Nice ticks")
struct NiceTicksTests {
    /// Ranges of every shape: tiny, huge, negative, straddling zero, off-grid ends.
    static let ranges: [(Double, Double)] = [(0, 1), (0, 0.0037), (1, 30), (0.35, 2.96), (-4.2, 17), (-1e-6, -3e-7), (12_345, 987_654),
                                             (0, 7_340_032), (3.3, 3.9), (1e9, 1.3e9), (-250, 250), (0.1, 0.1000001)]

    @Test("linear ticks cover the range, lie on whole steps of 1, 2 or 5 × 10^k, and number 3 to 8")
    func linearProperties() {
        for (lo, hi) in Self.ranges {
            let t = NiceTicks.linear(lower: lo, upper: hi)
            #expect(t.lower <= lo + abs(lo) * 1e-12 && t.upper >= hi - abs(hi) * 1e-12, "\(lo)...\(hi) not covered by \(t.ticks)")
            #expect((3...8).contains(t.ticks.count), "\(lo)...\(hi): \(t.ticks.count) ticks")
            let mantissa = t.step / pow(10, floor(log10(t.step)))
            #expect([1.0, 2, 5].contains { abs(mantissa - $0) < 1e-9 }, "step \(t.step)")
            for (a, b) in zip(t.ticks, t.ticks.dropFirst()) {
                #expect(abs((b - a) - t.step) <= t.step * 1e-9, "\(a) → \(b) is not one step \(t.step)")
            }
            for v in t.ticks { #expect(abs(v / t.step - (v / t.step).rounded()) < 1e-6, "\(v) is not a multiple of \(t.step)") }
            #expect(t.ticks.first == t.lower && t.ticks.last == t.upper)
        }
    }

    @Test("a linear range never widens by more than one step at either end")
    func linearIsTight() {
        for (lo, hi) in Self.ranges where hi - lo > abs(hi) * 1e-9 {
            let t = NiceTicks.linear(lower: lo, upper: hi)
            #expect(lo - t.lower < t.step * (1 + 1e-9) && t.upper - hi < t.step * (1 + 1e-9), "\(lo)...\(hi) → \(t.lower)...\(t.upper)")
        }
    }

    @Test("a degenerate or non-finite linear range still gives at least two distinct ticks around the value")
    func linearDegenerate() {
        for (lo, hi) in [(0.0, 0.0), (5, 5), (-2, -2), (Double.nan, 3), (1, Double.infinity), (Double.nan, Double.nan)] {
            let t = NiceTicks.linear(lower: lo, upper: hi)
            #expect(t.ticks.count >= 2 && t.ticks.allSatisfy(\.isFinite), "\(lo)...\(hi): \(t.ticks)")
            if lo.isFinite { #expect(t.lower <= lo && t.upper >= lo) }
        }
    }

    @Test("reversed ends give the same ticks as ordered ones")
    func linearReversed() {
        #expect(NiceTicks.linear(lower: 17, upper: -4.2) == NiceTicks.linear(lower: -4.2, upper: 17))
    }

    @Test("tick values carry no binary noise (0.1 × 3 is 0.3)")
    func linearClean() {
        #expect(NiceTicks.linear(lower: 0, upper: 0.3).ticks == [0, 0.1, 0.2, 0.3])
        #expect(NiceTicks.linear(lower: 0, upper: 0.7).ticks == [0, 0.2, 0.4, 0.6, 0.8])
    }

    @Test("log ticks are the powers of ten covering the range, with 2…9 × 10^k minor ticks inside it")
    func logProperties() {
        for (lo, hi) in [(1.2e-4, 0.08), (0.5, 3.0), (1e-3, 1e-3), (3e-9, 2e2), (1e-3, 1.0), (7.0, 7.0)] {
            let t = NiceTicks.log(lower: lo, upper: hi)
            #expect(t.lower <= lo * (1 + 1e-12) && t.upper >= hi * (1 - 1e-12), "\(lo)...\(hi) → \(t.lower)...\(t.upper)")
            #expect(t.upperExponent > t.lowerExponent)
            #expect(t.upperExponent - t.lowerExponent <= Int(ceil(log10(hi / lo) + 1e-9)) + 1, "\(lo)...\(hi): too wide")
            for m in t.major {
                let e = log10(m)
                #expect(abs(e - e.rounded()) < 1e-12, "\(m) is not a power of ten")
            }
            #expect(t.major.first == t.lower)
            #expect((2...9).contains(t.major.count), "\(t.major.count) labelled decades")
            for m in t.minor {
                #expect(m > t.lower && m < t.upper)
                let mantissa = m / pow(10, floor(log10(m) + 1e-12))
                #expect((2...9).contains(Int(mantissa.rounded())) && abs(mantissa - mantissa.rounded()) < 1e-9, "minor \(m)")
            }
        }
    }

    @Test("ranges exactly on powers of ten are not widened: 1e-3...1 has four labelled decades")
    func logExactDecades() {
        let t = NiceTicks.log(lower: 1e-3, upper: 1)
        #expect(t.lowerExponent == -3 && t.upperExponent == 0)
        #expect(t.major.count == 4 && t.minor.count == 3 * 8)
    }

    @Test("a log range over many decades labels every other decade or fewer and drops minor ticks")
    func logManyDecades() {
        let t = NiceTicks.log(lower: 1e-12, upper: 1e4)
        #expect(t.major.count <= 9 && t.major.count >= 2)
        #expect(t.minor.isEmpty)
    }

    @Test("non-positive or non-finite log ends fall back to the other end")
    func logNonPositive() {
        for (lo, hi) in [(0.0, 0.5), (-1, 20), (Double.nan, 3e-4), (0, 0), (Double.infinity, Double.nan)] {
            let t = NiceTicks.log(lower: lo, upper: hi)
            #expect(t.lower > 0 && t.upper.isFinite && t.upperExponent > t.lowerExponent, "\(lo)...\(hi)")
        }
    }

    @Test("the nice step is the smallest of 1, 2, 5 × 10^k at least the raw step")
    func niceStep() {
        for raw in [0.013, 0.2, 0.21, 3.0, 5.0, 5.01, 99.0, 7e-7] {
            let s = NiceTicks.niceStep(atLeast: raw)
            #expect(s >= raw * (1 - 1e-12))
            let mantissa = s / pow(10, floor(log10(s) + 1e-12))
            let next = [1.0, 2, 5, 10].last { $0 < mantissa - 1e-9 }.map { $0 * pow(10, floor(log10(s) + 1e-12)) } ?? s / 2
            #expect(next < raw, "\(next) would do for \(raw)")
        }
    }
}
