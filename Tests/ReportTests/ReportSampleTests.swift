import Foundation
import Report
import Testing

/// Writes the synthetic run's report where REPORT_SAMPLE says, for a look in a browser:
/// `REPORT_SAMPLE=/tmp/report.html swift test --skip-build --filter ReportSample`.
@Suite("report.html: the sample for a look")
struct ReportSampleTests {
    @Test("the sample report is written where REPORT_SAMPLE says",
          .enabled(if: ProcessInfo.processInfo.environment["REPORT_SAMPLE"] != nil, "set REPORT_SAMPLE=FILE to write the sample report"))
    func writeSample() throws {
        let env = ProcessInfo.processInfo.environment
        let path = env["REPORT_SAMPLE"]!
        let nodes = Int(env["REPORT_SAMPLE_NODES"] ?? "") ?? 8
        let s = SyntheticRun.summary(nodes: nodes, rounds: 30)
        try ReportHTML.write(summary: s, timing: SyntheticRun.timing, to: path)
        let json = JSONEncoder()
        json.outputFormatting = [.sortedKeys, .prettyPrinted]
        try json.encode(s).write(to: URL(fileURLWithPath: path + ".summary.json"))
        #expect(FileManager.default.fileExists(atPath: path))
    }
}
