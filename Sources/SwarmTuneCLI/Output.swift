#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Where commands write: results to stdout, diagnostics and progress to stderr.
public enum Output {
    public static func out(_ s: String, terminator: String = "\n") {
        FileHandle.standardOutput.write(Data((s + terminator).utf8))
    }

    /// Rows as aligned columns, two spaces apart (the last column unpadded).
    static func table(_ rows: [[String]]) -> [String] {
        let widths = (0..<(rows.first?.count ?? 0)).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { $0.offset == row.count - 1 ? $0.element : $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
    }

    public static func err(_ s: String, terminator: String = "\n") {
        FileHandle.standardError.write(Data((s + terminator).utf8))
    }

    /// Raw bytes to stdout, flushed at once (streamed generation).
    public static func outBytes(_ b: [UInt8]) {
        FileHandle.standardOutput.write(Data(b))
    }

    public static var stderrIsTerminal: Bool { isatty(2) != 0 }

    /// Pretty JSON text of a report, keys sorted (what `--json` prints and report.json holds).
    public static func json<T: Encodable>(_ value: T) throws(CLIError) -> String {
        try encode(value, [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    /// One compact JSON line, keys sorted (for JSONL files).
    public static func jsonLine<T: Encodable>(_ value: T) throws(CLIError) -> String {
        try encode(value, [.sortedKeys, .withoutEscapingSlashes])
    }

    private static func encode<T: Encodable>(_ value: T, _ formatting: JSONEncoder.OutputFormatting) throws(CLIError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = formatting
        do { return String(decoding: try encoder.encode(value), as: UTF8.self) } catch {
            throw .failure("cannot encode the \(T.self) as JSON: \(error)")
        }
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
