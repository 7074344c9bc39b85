import Foundation
import Report
import Scenario
import ScenarioRun

extension SimulateCommand {
    /// Runs a scenario file on the inproc backend and writes its run directory (summary.json,
    /// timing.json, report.html, adapters); returns the directory and the result.
    @discardableResult
    static func runScenario(file: String, out: String?, options: InprocOptions) throws(CLIError) -> (directory: String, result: InprocResult) {
        let scenario: Scenario
        do { scenario = try Scenario.load(path: file) } catch { throw .failure(error.description) }
        let directory = out ?? "runs/\(scenario.name)"
        Output.err("scenario \(scenario.name): \(scenario.nodes) nodes, \(scenario.training.rounds) rounds x "
                   + "\(scenario.gossip.localSteps) local steps, \(scenario.gossip.mode.name); inproc backend, "
                   + "virtual step \(options.stepMilliseconds) ms, detection \(options.detectionMilliseconds) ms")
        let line = ProgressLine(total: scenario.training.rounds)
        let result: InprocResult
        do {
            result = try InprocBackend.run(scenario, file: file, options: options) { p in
                let text: String
                switch p.phase {
                case "swarm": text = "swarm: round \(p.done)/\(p.total) closed at virtual \(Int(p.virtualSeconds)) s  \(p.detail)"
                case "eval": text = "eval: \(p.detail)"
                default: text = "\(p.phase) baseline: \(p.detail) (\(p.done)/\(p.total))"
                }
                line.show(text, force: p.phase != "swarm" || p.done == p.total)
            }
        } catch {
            line.finishLine()
            throw .failure("\(error)")
        }
        line.finishLine()
        do { try RunDirectory.write(result, to: directory, version: SwarmTuneCommand.version) } catch {
            throw .failure(error.description)
        }
        do { try ReportHTML.write(summary: result.summary, timing: result.timing, to: directory + "/report.html") } catch {
            throw .failure(error.description)
        }
        Output.out(table(result))
        Output.out(String(format: "\nwall time %.1f s; run directory %@ (summary.json, timing.json, report.html, adapters)",
                          result.timing.seconds, directory))
        return (directory, result)
    }

    /// The final exact match: consensus, each node alone (mean), centralized, core; per domain.
    static func table(_ result: InprocResult) -> String {
        let s = result.summary
        func pct(_ x: Double?) -> String { x.map { String(format: "%5.1f%%", 100 * $0) } ?? "    - " }
        let f = s.final
        let domains = s.domains
        var lines = ["", "exact match on the test set (\(s.testSet.values.reduce(0, +)) examples)".padding(toLength: 44, withPad: " ", startingAt: 0)
                     + "  all    " + domains.map { $0.padding(toLength: 8, withPad: " ", startingAt: 0) }.joined()]
        func row(_ label: String, _ all: Double?, _ by: [String: Double]?) {
            lines.append(label.padding(toLength: 44, withPad: " ", startingAt: 0) + pct(all) + "  "
                         + domains.map { pct(by?[$0]) + "  " }.joined())
        }
        row("swarm consensus", f.consensus, f.consensusByDomain)
        if f.localOnlyMean != nil { row("each node alone (mean)", f.localOnlyMean, f.localOnlyByDomain) }
        if f.centralized != nil { row("centralized (pooled data)", f.centralized, f.centralizedByDomain) }
        row("core alone", f.core, nil)
        if let d = f.consensusDistance { lines.append(String(format: "final consensus distance %.3g", d)) }
        return lines.joined(separator: "\n")
    }
}
