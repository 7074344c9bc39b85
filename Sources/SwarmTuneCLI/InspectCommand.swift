import Adapters
import Export
import Foundation
import Scenario
import Report
import SwarmBase
import SwarmNode

/// `swarmtune inspect`: what adapters hold and how far apart they are.
struct InspectCommand: Command {
    static let name = "inspect"
    static let summary = "inspect adapters: norms, spectra, distances, consensus, product gap (--html)"
    static let discussion = """
        Each PATH is an adapter directory (PEFT layout), a run directory holding adapter/ (and
        report.json, whose learning curve is shown), a node's state directory (its node.db: the
        latest checkpoint is read, also while the node runs, and named "DIR @ round N"), or a
        directory whose subdirectories are any of those (one per node, e.g. a swarm's n0/ n1/ ...),
        or a scenario run (runs/NAME from 'swarmtune simulate SCENARIO': its summary's final figures,
        then every node's adapter and the consensus adapter). A state database written before the adapter layout was recorded needs --core, the core the
        node trained on. For each adapter: per-module factor norms, the size ‖s·B·A‖ of its update,
        the singular values and effective rank of B·A. Across several adapters: the pairwise
        distance matrices (factors and updates), the consensus distance (1/n)Σ‖θ_i − θ̄‖², each
        one's drift from the mean, and the product gap ‖mean(B_iA_i) − B̄Ā‖ that averaging factors
        instead of updates loses.
        """
    static let examples = [
        "inspect runs/demo",
        "inspect runs/a/adapter runs/b/adapter --json",
        "inspect runs/swarm --html runs/swarm/inspect.html",
        "inspect runs/lab/n0 runs/lab/n1 --json",
    ]

    struct Options: Declarations {
        let paths = Positional("PATH", help: "adapter, run, node state or swarm directories", repeatable: true)
        let core = Option.text("--core", "FILE", help: "the core an older node database's adapter layout is rebuilt from")
        let layers = Flag("--layers", help: "print every layer, not only the means per module")
        let json = Flag("--json", help: "print the inspection as JSON")
        let html = Option.text("--html", "FILE", help: "write a single-file HTML report with inline SVG plots")
    }

    let paths: [String]
    let layers: Bool
    let json: Bool
    let html: String?
    let corePath: String?

    init(_ d: Options, _ p: inout ParsedArguments) throws(CLIError) {
        paths = try p.positionals(d.paths)
        layers = p.flag(d.layers)
        json = p.flag(d.json)
        html = try p.optional(d.html)
        corePath = try p.optional(d.core)
    }

    struct Input {
        var name: String
        var adapter: LoRAAdapter
        var curve: [EvalPoint]
        /// The checkpoint's round, for a node state directory.
        var round: Int64?
    }

    /// The adapters `path` names: itself (an adapter or state directory), its adapter/ (a run),
    /// or those of its subdirectories (a swarm).
    static func resolve(_ path: String, corePath: String? = nil) throws(CLIError) -> [Input] {
        func curve(_ run: String) -> [EvalPoint] { RunReportFigures.read(directory: run).curve ?? [] }
        func input(_ p: String) throws(CLIError) -> Input? {
            if AdapterInput.isAdapterDirectory(p) || NodeStateAdapter.isStateDirectory(p) {
                let a = try AdapterInput.read(p, corePath: corePath)
                return Input(name: a.name, adapter: a.adapter, curve: [], round: a.round)
            }
            let run = FileIO.join(p, "adapter")
            guard AdapterInput.isAdapterDirectory(run) else { return nil }
            return Input(name: p, adapter: try AdapterInput.read(run, corePath: corePath).adapter, curve: curve(p))
        }
        if let found = try input(path) { return [found] }
        if FileIO.kind(of: FileIO.join(path, "summary.json")) == .file {
            // A scenario run (runs/NAME): every node's final adapter, then the consensus adapter.
            var found = try resolve(FileIO.join(path, "nodes"), corePath: corePath)
            if let consensus = try input(FileIO.join(path, "consensus")) { found.append(consensus) }
            return found
        }
        guard let children = try? FileManager.default.contentsOfDirectory(atPath: path) else {
            throw .failure("\(path): not found, or not an adapter, run, node state or swarm directory")
        }
        var found: [Input] = []
        for c in children.sorted() {
            if let i = try input(FileIO.join(path, c)) { found.append(i) }
        }
        guard !found.isEmpty else {
            throw .failure("\(path): holds no adapter (adapter_config.json) or node database (node.db) in itself, adapter/ or its subdirectories")
        }
        return found
    }

    /// The inspection of every input.
    func inspect() throws(CLIError) -> (inputs: [Input], report: InspectionReport) {
        var inputs: [Input] = []
        for p in paths { inputs += try Self.resolve(p, corePath: corePath) }
        do { return (inputs, try AdapterInspection.inspect(inputs.map(\.adapter), names: inputs.map(\.name))) } catch {
            throw .failure(error.description)
        }
    }

    /// A scenario run's summary.json (`runs/NAME`), when the one PATH is such a run.
    func runSummary() throws(CLIError) -> RunSummary? {
        guard paths.count == 1 else { return nil }
        let file = FileIO.join(paths[0], "summary.json")
        guard FileIO.kind(of: file) == .file else { return nil }
        do {
            let bytes = try FileIO.readAll(file, limit: 1 << 30)
            return try JSONDecoder().decode(RunSummary.self, from: Data(bytes))
        } catch {
            throw .failure("\(file): not a run summary: \(error)")
        }
    }

    func run() throws(CLIError) {
        let summary = try runSummary()
        if let summary, !json {
            func pct(_ x: Double?) -> String { x.map { String(format: "%.1f%%", 100 * $0) } ?? "-" }
            Output.out("run \(paths[0]): scenario \(summary.scenario), \(summary.backend) backend, \(summary.nodes) nodes, "
                       + "\(summary.rounds.count) rounds, \(summary.mode) mode")
            Output.out("  exact match: consensus \(pct(summary.final.consensus)), each node alone \(pct(summary.final.localOnlyMean)), "
                       + "centralized \(pct(summary.final.centralized)), core \(pct(summary.final.core)); "
                       + "final consensus distance \(summary.final.consensusDistance.map(Self.fmt) ?? "-")")
        }
        let (inputs, report) = try inspect()
        let adapters = inputs.map(\.adapter)
        // A swarm directory's report.json carries the per-round figures.
        let rounds = paths.count == 1 ? RunReportFigures.read(directory: paths[0]).rounds ?? [] : []

        if let html {
            do {
                try Data(InspectHTML.render(report, curves: inputs.map(\.curve), rounds: rounds).utf8)
                    .write(to: URL(fileURLWithPath: html), options: .atomic)
            } catch {
                throw .failure("cannot write \(html): \(error.localizedDescription)")
            }
        }
        if json {
            Output.out(try Output.json(Report(report, inputs: inputs)))
            return
        }
        for (k, name) in report.names.enumerated() {
            let a = adapters[k], mods = report.modules[k]
            let total = mods.reduce(0) { $0 + $1.updateNorm * $1.updateNorm }.squareRoot()
            Output.out("\(name): rank \(a.config.rank), alpha \(a.config.alpha), \(Set(mods.map(\.layer)).count) layers x \(a.config.targets.map(\.rawValue).joined(separator: ",")), ‖ΔW‖ = \(Self.fmt(total))"
                       + (a.provenance.map { ", core \($0.coreHash.prefix(16))…" } ?? ""))
            let byModule = Dictionary(grouping: mods, by: \.module)
            Output.out("  module      ‖A‖ mean   ‖B‖ mean   ‖ΔW‖ mean   eff. rank   top σ (mean over layers)")
            for (module, ms) in byModule.sorted(by: { $0.key < $1.key }) {
                let c = Double(ms.count)
                let top = ms.map { $0.singularValues.first ?? 0 }.reduce(0, +) / c
                Output.out("  " + module.padding(toLength: 10, withPad: " ", startingAt: 0)
                           + String(format: "%9.4f  %9.4f  %10.5f  %10.2f   %.5f", ms.map(\.normA).reduce(0, +) / c, ms.map(\.normB).reduce(0, +) / c,
                                    ms.map(\.updateNorm).reduce(0, +) / c, ms.map(\.effectiveRank).reduce(0, +) / c, top))
            }
            if layers {
                Output.out("  layer module      ‖ΔW‖      eff.rank  singular values")
                for m in mods {
                    Output.out(String(format: "  %5d %-10@ %9.5f %8.2f  ", m.layer, m.module, m.updateNorm, m.effectiveRank)
                               + m.singularValues.prefix(8).map { Self.fmt($0) }.joined(separator: " "))
                }
            }
            let curve = inputs[k].curve
            if !curve.isEmpty {
                Output.out("  learning curve: " + curve.map {
                    String(format: "step %d loss %.3f EM %.0f%%", $0.step, $0.loss, 100 * $0.exactMatch)
                }.joined(separator: "; "))
            }
        }
        guard report.names.count > 1 else { return }
        func matrix(_ title: String, _ m: [[Double]]) {
            Output.out(title)
            for (i, row) in m.enumerated() { Output.out(String(format: "  %3d ", i) + row.map { String(format: "%10.4f", $0) }.joined()) }
        }
        Output.out("adapters: " + report.names.enumerated().map { "\($0.offset)=\($0.element)" }.joined(separator: ", "))
        matrix("update distance ‖ΔW_i − ΔW_j‖:", report.updateDistance)
        if let f = report.factorDistance { matrix("factor distance ‖θ_i − θ_j‖:", f) }
        if let c = report.consensusDistance { Output.out("consensus distance (1/n)Σ‖θ_i − θ̄‖²: \(Self.fmt(c))") }
        if let d = report.drift { Output.out("drift from the mean ‖θ_i − θ̄‖: " + d.map(Self.fmt).joined(separator: ", ")) }
        if let g = report.productGap { Output.out("product gap ‖mean(B_iA_i) − B̄Ā‖: \(Self.fmt(g))") }
    }

    static func fmt(_ x: Double) -> String { String(format: x != 0 && (abs(x) < 1e-3 || abs(x) >= 1e4) ? "%.3e" : "%.5f", x) }

    /// What `inspect --json` prints.
    struct Report: Codable {
        struct Module: Codable {
            var layer: Int
            var module: String
            var normA: Double
            var normB: Double
            var updateNorm: Double
            var effectiveRank: Double
            var singularValues: [Double]
        }
        struct Adapter: Codable {
            var name: String
            var rank: Int
            var alpha: Double
            var coreHash: String
            /// The checkpoint's round, for a node state directory.
            var round: Int64?
            var curve: [EvalPoint]
            var modules: [Module]
        }
        var adapters: [Adapter]
        var updateDistance: [[Double]]
        var factorDistance: [[Double]]?
        var consensusDistance: Double?
        var drift: [Double]?
        var productGap: Double?

        init(_ r: InspectionReport, inputs: [Input]) {
            self.adapters = r.names.enumerated().map { k, name in
                let adapter = inputs[k].adapter
                return Adapter(name: name, rank: adapter.config.rank, alpha: adapter.config.alpha,
                        coreHash: adapter.provenance?.coreHash ?? "", round: inputs[k].round, curve: inputs[k].curve,
                        modules: r.modules[k].map { .init(layer: $0.layer, module: $0.module, normA: $0.normA, normB: $0.normB,
                                                          updateNorm: $0.updateNorm, effectiveRank: $0.effectiveRank,
                                                          singularValues: $0.singularValues) })
            }
            updateDistance = r.updateDistance
            factorDistance = r.factorDistance
            consensusDistance = r.consensusDistance
            drift = r.drift
            productGap = r.productGap
        }
    }
}

/// The single-file HTML report: tables plus inline SVG (no scripts, no external files), plotted
/// with the Report module's `LinePlot` (nice ticks, log axes where values span decades).
enum InspectHTML {
    static func esc(_ s: String) -> String { HTMLText.escape(s) }

    static func render(_ r: InspectionReport, curves: [[EvalPoint]], rounds: [RoundFigures] = []) -> String {
        let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"]
        var body = "<h1>SwarmTune inspection</h1>"
        // ‖ΔW‖ per layer, one line per adapter.
        let layers = (r.modules.first?.map(\.layer).max() ?? 0) + 1
        var perLayer: [[Double]] = []
        for mods in r.modules {
            var v = [Double](repeating: 0, count: layers)
            for m in mods { v[m.layer] += m.updateNorm * m.updateNorm }
            perLayer.append(v.map { $0.squareRoot() })
        }
        body += "<h2>Update size ‖ΔW‖ per layer</h2>"
            + lineChart("plot-update-per-layer", perLayer, names: r.names, colors: colors, xLabel: "layer", yLabel: "‖ΔW‖ (Frobenius norm)", floor: 0)
        // Mean singular value spectrum per adapter.
        let spectra = r.modules.map { mods -> [Double] in
            let k = mods.map(\.singularValues.count).max() ?? 0
            return (0..<k).map { i in mods.reduce(0.0) { $0 + (i < $1.singularValues.count ? $1.singularValues[i] : 0) } / Double(max(1, mods.count)) }
        }
        body += "<h2>Singular values of B·A (mean over layers and modules)</h2>"
            + lineChart("plot-spectrum", spectra, names: r.names, colors: colors, xLabel: "singular value index", yLabel: "singular value", scale: .auto)
        let curvesEM = curves.map { $0.map { $0.exactMatch } }
        if curvesEM.contains(where: { !$0.isEmpty }) {
            var plot = LinePlot(id: "plot-exact-match", xTitle: "evaluation", yTitle: "exact match (%)",
                                series: series(curvesEM, names: r.names, colors: colors, markers: true))
            plot.yFloor = 0
            plot.yCeiling = 1
            plot.yLabels = { v, step in Figures.tick(v * 100, step: step * 100) + "%" }
            body += "<h2>Exact match at each evaluation</h2>" + plot.html()
        }
        if !rounds.isEmpty {
            let before = rounds.map(\.consensusBefore), after = rounds.map(\.consensusAfter)
            let loss = rounds.map(\.meanLoss)
            body += "<h2>Swarm rounds: consensus distance before and after mixing</h2>"
                + lineChart("plot-consensus", [before, after], names: ["before mixing", "after mixing"], colors: ["#d62728", "#1f77b4"],
                            xLabel: "round", yLabel: "consensus distance (log)", scale: .log, firstX: 1)
                + "<h2>Swarm rounds: mean training loss</h2>"
                + lineChart("plot-loss", [loss], names: ["mean loss"], colors: ["#2ca02c"], xLabel: "round", yLabel: "training loss (nats per token)", firstX: 1)
        }
        if r.names.count > 1 {
            let top = r.updateDistance.flatMap { $0 }.max() ?? 0
            body += "<h2>Distance between updates ‖ΔW_i − ΔW_j‖</h2>" + heatmap(r.updateDistance, names: r.names)
                + "<p>white = 0, darkest red = \(Figures.significant(top))</p>"
            var facts = "<table class='facts'>"
            if let c = r.consensusDistance { facts += "<tr><td>consensus distance (1/n)Σ‖θ_i − θ̄‖²</td><td>\(Figures.significant(c))</td></tr>" }
            if let g = r.productGap { facts += "<tr><td>product gap ‖mean(B_iA_i) − B̄Ā‖</td><td>\(Figures.significant(g))</td></tr>" }
            if let d = r.drift { for (i, x) in d.enumerated() { facts += "<tr><td>drift of \(esc(r.names[i]))</td><td>\(Figures.significant(x))</td></tr>" } }
            body += facts + "</table>"
        }
        body += "<h2>Adapters</h2><table><tr><th>#</th><th>adapter</th><th>modules</th><th>‖ΔW‖</th><th>mean effective rank</th></tr>"
        for (i, mods) in r.modules.enumerated() {
            let total = mods.reduce(0) { $0 + $1.updateNorm * $1.updateNorm }.squareRoot()
            let er = mods.map(\.effectiveRank).reduce(0, +) / Double(max(1, mods.count))
            body += "<tr><td style='color:\(colors[i % colors.count])'>■ \(i)</td><td>\(esc(r.names[i]))</td><td>\(mods.count)</td><td>\(Figures.significant(total))</td><td>\(String(format: "%.2f", er))</td></tr>"
        }
        body += "</table>"
        return """
            <!doctype html><html><head><meta charset="utf-8"><title>SwarmTune inspection</title>
            <style>body{font:14px system-ui,sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
            td:nth-child(2){text-align:left}table.facts td:first-child{text-align:left}svg{display:block}.legend{font-size:12px;margin:2px 0 10px 76px;display:flex;flex-wrap:wrap;gap:4px 14px}
            .legend svg{display:inline}</style></head><body>\(body)</body></html>
            """
    }

    static func series(_ values: [[Double]], names: [String], colors: [String], markers: Bool = false, firstX: Double = 0) -> [LinePlot.Series] {
        values.enumerated().map { k, v in
            LinePlot.Series(name: k < names.count ? names[k] : "\(k)", color: colors[k % colors.count],
                            points: v.enumerated().map { .init(x: Double($0.offset) + firstX, y: $0.element) }, width: 2, markers: markers)
        }
    }

    static func lineChart(_ id: String, _ values: [[Double]], names: [String], colors: [String], xLabel: String, yLabel: String,
                          scale: PlotAxis.Scale = .linear, floor: Double? = nil, firstX: Double = 0) -> String {
        var plot = LinePlot(id: id, xTitle: xLabel, yTitle: yLabel, yScale: scale, series: series(values, names: names, colors: colors, firstX: firstX))
        plot.yFloor = floor
        return plot.html()
    }

    static func heatmap(_ m: [[Double]], names: [String]) -> String {
        let n = m.count, cell = min(48.0, 480.0 / Double(max(1, n)))
        let top = max(1e-12, m.flatMap { $0 }.max() ?? 1)
        var svg = "<svg width='\(Int(cell * Double(n) + 60))' height='\(Int(cell * Double(n) + 20))'>"
        for i in 0..<n {
            svg += "<text x='2' y='\(cell * (Double(i) + 0.6) + 10)' font-size='11'>\(i)</text>"
            for j in 0..<n {
                let t = m[i][j] / top
                let shade = Int(255 * (1 - t))
                svg += "<rect x='\(40 + cell * Double(j))' y='\(10 + cell * Double(i))' width='\(cell)' height='\(cell)' fill='rgb(255,\(shade),\(shade))'><title>\(esc(names[i])) ↔ \(esc(names[j])): \(Figures.significant(m[i][j]))</title></rect>"
            }
        }
        return svg + "</svg>"
    }
}
