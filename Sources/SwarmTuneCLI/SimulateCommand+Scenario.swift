import Foundation
import Report
import Scenario
import ScenarioProcess
import ScenarioRun

extension SimulateCommand {
    /// Runs a scenario file on the inproc backend and writes its run directory (summary.json,
    /// timing.json, report.html, adapters); returns the directory and the result.
    @discardableResult
    static func runScenario(file: String, out: String?, options: InprocOptions,
                            variant: (Scenario) -> Scenario = { $0 }) throws(CLIError) -> (directory: String, result: InprocResult) {
        let scenario: Scenario
        do { scenario = variant(try Scenario.load(path: file)) } catch { throw .failure(error.description) }
        let directory = out ?? "runs/\(scenario.name)"
        Output.err("scenario \(scenario.name): \(scenario.nodes) nodes, \(scenario.training.rounds) rounds x "
                   + "\(scenario.gossip.localSteps) local steps, \(scenario.gossip.mode.name); inproc backend, "
                   + "virtual step \(options.stepMilliseconds) ms, detection \(options.detectionMilliseconds) ms")
        let line = ProgressLine(total: scenario.training.rounds)
        let result: InprocResult
        do {
            result = try InprocBackend.run(scenario, file: file, options: options) { p in
                show(p, on: line, clock: "closed at virtual")
            }
        } catch {
            line.finishLine()
            throw .failure("\(error)")
        }
        line.finishLine()
        try finish(result, directory: directory, what: "summary.json, timing.json, report.html, adapters")
        return (directory, result)
    }

    /// Runs a scenario file on the process backend: real `swarmtune node` processes (this
    /// executable) on loopback, each with its own certificate, data and state database in the run
    /// directory; then the same summary, report and adapters as inproc.
    @discardableResult
    static func runScenarioProcesses(file: String, out: String?, threads: Int?, namespaces: Bool = false,
                                     variant: (Scenario) -> Scenario = { $0 }) throws(CLIError) -> (directory: String, result: InprocResult) {
        let scenario: Scenario
        do { scenario = variant(try Scenario.load(path: file)) } catch { throw .failure(error.description) }
        let directory = out ?? "runs/\(scenario.name)"
        var options = ProcessOptions(executable: try nodeExecutable())
        options.threads = threads
        options.namespaces = namespaces
        if namespaces, let missing = ProcessBackend.netnsMissing() { throw .failure(missing) }
        let where_ = namespaces ? "in its own network namespace (addresses 10.213.0.10 onwards)" : "on \(options.host)"
        Output.err("scenario \(scenario.name): \(scenario.nodes) nodes, \(scenario.training.rounds) rounds x "
                   + "\(scenario.gossip.localSteps) local steps, \(scenario.gossip.mode.name); \(namespaces ? "netns" : "process") backend: a swarmtune node "
                   + "process per node over TLS \(where_), logs in \(directory)/nodes/node-I/node.log")
        let line = ProgressLine(total: scenario.training.rounds)
        let result: InprocResult
        do {
            result = try ProcessBackend.run(scenario, file: file, directory: directory, options: options) { p in
                show(p, on: line, clock: "at")
            }
        } catch {
            line.finishLine()
            throw .failure(error.description)
        }
        line.finishLine()
        try finish(result, directory: directory, what: "summary.json, timing.json, report.html, adapters, nodes/node-I/{state,node.log}")
        return (directory, result)
    }

    /// One progress report of a scenario run on the live line (a swarm round's line is
    /// rewritten in place on a terminal; phases and the last round always print).
    private static func show(_ p: InprocProgress, on line: ProgressLine, clock: String) {
        let text: String
        switch p.phase {
        case "swarm": text = "swarm: round \(p.done)/\(p.total) \(clock) \(Int(p.virtualSeconds)) s  \(p.detail)"
        case "eval": text = "eval: \(p.detail)"
        default: text = "\(p.phase) baseline: \(p.detail) (\(p.done)/\(p.total))"
        }
        line.show(text, force: p.phase != "swarm" || p.done == p.total)
    }

    /// The executable node processes run: this one when it is swarmtune, else the swarmtune
    /// built beside it (a test runner in .build/debug).
    static func nodeExecutable() throws(CLIError) -> String {
        let this = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        if this.lastPathComponent == "swarmtune" { return this.path }
        let sibling = this.deletingLastPathComponent().appendingPathComponent("swarmtune").path
        if FileManager.default.isExecutableFile(atPath: sibling) { return sibling }
        throw .failure("the process backend starts nodes from the swarmtune executable; this is \(this.path) and no swarmtune is beside it")
    }

    /// Writes a run's summary, timing, adapters and report.html, and prints the result table.
    private static func finish(_ result: InprocResult, directory: String, what: String) throws(CLIError) {
        do { try RunDirectory.write(result, to: directory, version: SwarmTuneCommand.version) } catch {
            throw .failure(error.description)
        }
        do { try ReportHTML.write(summary: result.summary, timing: result.timing, to: directory + "/report.html") } catch {
            throw .failure(error.description)
        }
        Output.out(table(result))
        Output.out(String(format: "\nwall time %.1f s; run directory %@ (%@)", result.timing.seconds, directory, what))
        Output.out("report: \(directory)/report.html")
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
