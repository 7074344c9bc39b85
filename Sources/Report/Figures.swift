import Foundation

/// Numbers as a reader of the report wants them: rounded to what they mean. Non-finite or missing
/// values print as "—", never as "nan" or "inf".
public enum Figures {
    public static let missing = "—"

    /// A share 0...1 as a percentage with one decimal: 0.625 → "62.5%".
    public static func percent(_ x: Double?) -> String {
        guard let x, x.isFinite else { return missing }
        return String(format: "%.1f%%", 100 * x)
    }

    /// `digits` significant digits (3 by default): 0.001234 → "0.00123", 1.5e-7 → "1.5e-7",
    /// 1234567 → "1.23e6". Trailing zeros are dropped.
    public static func significant(_ x: Double?, digits: Int = 3) -> String {
        guard let x, x.isFinite else { return missing }
        if x == 0 { return "0" }
        let exponent = Int(floor(log10(abs(x))))
        if exponent < -3 || exponent >= 6 {
            let mantissa = x / pow(10, Double(exponent))
            var m = trimmed(String(format: "%.\(max(0, digits - 1))f", mantissa))
            var e = exponent
            if m.hasPrefix("10") || m.hasPrefix("-10") { m = x < 0 ? "-1" : "1"; e += 1 }  // 9.999 rounded up
            return "\(m)e\(e)"
        }
        let decimals = max(0, digits - 1 - exponent)
        return trimmed(String(format: "%.\(decimals)f", x))
    }

    /// A byte count in binary units: 512 → "512 B", 1536 → "1.5 KiB", 3 × 2^30 → "3 GiB"
    /// (3 significant digits).
    public static func bytes(_ n: Double?) -> String {
        guard let n, n.isFinite else { return missing }
        let unit = ByteUnit.fitting(abs(n))
        return "\(significant(n / unit.divisor)) \(unit.symbol)"
    }

    /// Seconds as "850 ms", "12.3 s", "4 min 05 s".
    public static func duration(_ s: Double?) -> String {
        guard let s, s.isFinite else { return missing }
        if s < 1 { return "\(significant(s * 1000)) ms" }
        // Also what a summary.json says beyond minutes (its seconds are a file's numbers: 1e300
        // would not fit an Int).
        if s < 120 || s >= 1e12 { return "\(significant(s)) s" }
        let whole = Int(s.rounded())
        return String(format: "%d min %02d s", whole / 60, whole % 60)
    }

    /// A tick label on a linear axis with step `step`: as many decimals as the step needs.
    public static func tick(_ x: Double, step: Double) -> String {
        guard x.isFinite, step.isFinite, step > 0 else { return missing }
        if x == 0 { return "0" }
        if abs(x) >= 1e6 || step < 1e-4 { return significant(x, digits: 3) }
        let decimals = max(0, -Int(floor(log10(step) + 1e-9)))
        return String(format: "%.\(decimals)f", x)
    }

    /// A power-of-ten tick label: "1e-3", "0.01"-style is avoided except for 1 and 10.
    public static func powerOfTen(_ exponent: Int) -> String {
        switch exponent {
        case 0: return "1"
        case 1: return "10"
        default: return "1e\(exponent)"
        }
    }

    private static func trimmed(_ s: String) -> String {
        guard s.contains(".") else { return s }
        var t = s
        while t.hasSuffix("0") { t.removeLast() }
        if t.hasSuffix(".") { t.removeLast() }
        return t == "-0" ? "0" : t
    }
}

/// A binary unit for byte counts (KiB = 1024 B).
public struct ByteUnit: Sendable, Equatable {
    public var symbol: String
    public var divisor: Double

    public static let all = [ByteUnit(symbol: "B", divisor: 1), ByteUnit(symbol: "KiB", divisor: 1024),
                             ByteUnit(symbol: "MiB", divisor: 1024 * 1024), ByteUnit(symbol: "GiB", divisor: 1024 * 1024 * 1024),
                             ByteUnit(symbol: "TiB", divisor: 1024 * 1024 * 1024 * 1024)]

    /// The largest unit in which `n` is at least 1.
    public static func fitting(_ n: Double) -> ByteUnit {
        all.last(where: { n >= $0.divisor }) ?? all[0]
    }
}
