import Foundation
import Report
import Scenario
import SwarmBase

/// `swarmtune report SUMMARY.json --out report.html`: renders any backend's summary.json (and
/// optionally its timing.json) into the single-file HTML report.
struct ReportCommand: Command {
    static let name = "report"
    static let summary = "render a run's summary.json into report.html (inline SVG plots, one self-contained file)"
    static let discussion = """
        Reads SUMMARY.json, the summary every scenario backend writes (runs/NAME/summary.json), and
        writes one self-contained HTML file (inline SVG, no scripts, no external files): training
        loss per node, consensus distance on a log axis, product gap, exact match at the end and
        over the eval schedule against the local-only and centralized baselines, the topology, a
        membership timeline with the scenario's events marked, and bytes per round. --timing adds
        the wall time (runs/NAME/timing.json). The file is replaced atomically.
        """
    static let examples = [
        "report runs/quickstart/summary.json --out runs/quickstart/report.html",
        "report runs/churn-16/summary.json --timing runs/churn-16/timing.json --out churn.html",
    ]

    struct Options: Declarations {
        let summary = Positional("SUMMARY.json", help: "a run's summary (runs/NAME/summary.json)")
        let timing = Option.text("--timing", "FILE", help: "the run's timing.json (wall time, peak RSS)")
        let out = Option.text("--out", "FILE", help: "where report.html goes", required: true)
    }

    let summaryPath: String
    let timingPath: String?
    let out: String

    init(_ d: Options, _ p: inout ParsedArguments) throws(CLIError) {
        summaryPath = try p.positional(d.summary)!
        timingPath = try p.optional(d.timing)
        out = try p.value(d.out)
    }

    func run() throws(CLIError) {
        let summary = try Self.read(RunSummary.self, from: summaryPath, what: "run summary")
        guard summary.version <= RunSummary.currentVersion else {
            throw .failure("\(summaryPath): summary version \(summary.version) is newer than this swarmtune reads (\(RunSummary.currentVersion)); update swarmtune")
        }
        let timing = try timingPath.map { (p: String) throws(CLIError) in try Self.read(RunTiming.self, from: p, what: "run timing") }
        do {
            try ReportHTML.write(summary: summary, timing: timing, to: out)
        } catch {
            throw .failure(error.description)
        }
        Output.out("wrote \(out)")
    }

    /// Decodes `path`, naming the file and the JSON path of a bad field.
    static func read<T: Decodable>(_ type: T.Type, from path: String, what: String) throws(CLIError) -> T {
        let bytes: [UInt8]
        do { bytes = try FileIO.readAll(path, limit: 1 << 30) } catch { throw .failure(error.description) }
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let DecodingError.keyNotFound(key, context) {
            throw .failure("\(path): not a \(what): \(location(context.codingPath + [key])) is missing")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context),
                let DecodingError.dataCorrupted(context) {
            throw .failure("\(path): not a \(what): \(location(context.codingPath)): \(context.debugDescription)")
        } catch {
            throw .failure("\(path): not a \(what): \(error)")
        }
    }

    private static func location(_ path: [any CodingKey]) -> String {
        guard !path.isEmpty else { return "the document" }
        return path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }
}
