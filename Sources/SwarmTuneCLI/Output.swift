#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Where commands write: results to stdout, diagnostics and progress to stderr.
public enum Output {
    public static func out(_ s: String, terminator: String = "\n") {
        FileHandle.standardOutput.write(Data((s + terminator).utf8))
    }

    public static func err(_ s: String, terminator: String = "\n") {
        FileHandle.standardError.write(Data((s + terminator).utf8))
    }

    /// Raw bytes to stdout, flushed at once (streamed generation).
    public static func outBytes(_ b: [UInt8]) {
        FileHandle.standardOutput.write(Data(b))
    }

    public static var stderrIsTerminal: Bool { isatty(2) != 0 }

    /// JSON text of a value tree made of dictionaries, arrays, strings, numbers and booleans.
    public static func json(_ value: Any) -> String {
        guard JSONSerialization.isValidJSONObject(value),
              let data = try? JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys]) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// One compact JSON line (for JSONL files).
    public static func jsonLine(_ value: Any) -> String {
        guard JSONSerialization.isValidJSONObject(value),
              let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Peak resident set size of this process, in bytes.
    public static var peakRSS: Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }

    public static func bytes(_ n: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB"]
        var v = Double(n), u = 0
        while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
        return u == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[u])
    }
}
