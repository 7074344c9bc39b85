import Foundation
import Testing
import TestSupport
@testable import SwarmTuneCLI

/// `swarmtune report SUMMARY.json --out FILE` renders any backend's summary; `inspect --html`
/// plots through the same code.
@Suite struct ReportCommandTests {
    static let summary = #"""
        {"version": 1, "scenario": "tiny", "comment": "two nodes", "backend": "inproc", "seed": 1, "core": "c.gguf", "coreHash": "ab",
         "nodes": 2, "topology": "ring", "mode": "factors", "localSteps": 2, "domains": ["dates"],
         "nodeData": [{"node": 0, "examples": 4, "domains": {"dates": 4}}, {"node": 1, "examples": 4, "domains": {"dates": 4}}],
         "testSet": {"dates": 8},
         "rounds": [{"round": 1, "consensusDistance": 0.01, "productGap": 0.001, "bytes": 4096,
                     "nodes": [{"node": 0, "loss": 1.5, "mixed": 1, "neighbours": 1, "late": 0, "refused": 0, "bytesSent": 2048, "bytesReceived": 2048}],
                     "eval": {"consensus": 0.625, "consensusByDomain": {"dates": 0.625}}}],
         "timeline": [{"round": 1, "seconds": 2.5, "kind": "kill", "node": 1, "detail": "killed"}],
         "final": {"consensus": 0.625, "localOnlyMean": 0.375, "centralized": 0.75}}
        """#

    @Test("report renders a summary.json (with timing) into an HTML file holding every plot")
    func renders() throws {
        let dir = TemporaryDirectory()
        try Self.summary.write(toFile: dir.file("summary.json"), atomically: true, encoding: .utf8)
        try #"{"seconds": 12.5, "secondsPerRound": [12.5], "threads": 2}"#.write(toFile: dir.file("timing.json"), atomically: true, encoding: .utf8)
        #expect(SwarmTuneCommand.main(["report", dir.file("summary.json"), "--timing", dir.file("timing.json"), "--out", dir.file("r.html")]) == 0)
        let html = try String(contentsOfFile: dir.file("r.html"), encoding: .utf8)
        for id in ["plot-loss", "plot-consensus", "plot-eval-final", "plot-timeline", "plot-bytes", "plot-time"] {
            #expect(html.contains("<svg id='\(id)'"), "\(id)")
        }
        #expect(html.contains("62.5%") && html.contains("12.5 s"))
    }

    @Test("report names the file and the JSON path of a bad summary, and needs --out")
    func refusesBadSummary() throws {
        let dir = TemporaryDirectory()
        try Self.summary.replacingOccurrences(of: #""nodes": 2"#, with: #""nodes": "two""#)
            .write(toFile: dir.file("bad.json"), atomically: true, encoding: .utf8)
        #expect(SwarmTuneCommand.main(["report", dir.file("bad.json"), "--out", dir.file("r.html")]) == 1)
        #expect(!FileManager.default.fileExists(atPath: dir.file("r.html")))
        #expect(throws: CLIError.self) { try SwarmTuneCommand.check(["report", dir.file("bad.json")]) }
        do {
            _ = try ReportCommand.read(RunSummaryProbe.self, from: dir.file("bad.json"), what: "run summary")
            Issue.record("a string node count was read")
        } catch {
            #expect(error.description.contains(dir.file("bad.json")) && error.description.contains("nodes"))
        }
    }

    /// The one field the decoding error is about.
    struct RunSummaryProbe: Decodable { var nodes: Int }

    @Test("inspect --html plots consensus distance on a log axis with labelled decades")
    func inspectLogAxis() {
        let svg = InspectHTML.lineChart("plot-consensus", [[0.2, 0.01, 3e-4]], names: ["after"], colors: ["#000"], xLabel: "round",
                                        yLabel: "consensus distance (log)", scale: .log, firstX: 1)
        for label in [">1e-4<", ">1e-3<", ">1e-2<", ">1e-1<", ">1<"] { #expect(svg.contains(label), "\(label)") }
    }
}
