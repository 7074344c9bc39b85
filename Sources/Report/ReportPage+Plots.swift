import Scenario

extension ReportPage {
    func lossPlot() -> String {
        let many = nodeCount > 16
        var series = (0..<nodeCount).map { node in
            LinePlot.Series(name: many ? "" : "node \(node)", color: SVG.color(node),
                            points: s.rounds.map { r in .init(x: Double(r.round), y: r.nodes.first { $0.node == node }?.loss) },
                            width: many ? 1 : 1.6)
        }
        if nodeCount > 1 {
            let mean = s.rounds.map { r -> LinePlot.Point in
                let l = r.nodes.compactMap(\.loss).filter(\.isFinite)
                return .init(x: Double(r.round), y: l.isEmpty ? nil : l.reduce(0, +) / Double(l.count))
            }
            series.append(.init(name: "mean over live nodes", color: "#111", points: mean, width: 2.6, dashed: true))
        }
        var plot = LinePlot(id: "plot-loss", xTitle: "round", yTitle: "training loss (nats per token)", series: series)
        plot.markers = eventMarkers
        plot.xSpan = roundSpan
        return plot.html() + (many ? "<p class='note'>Thin lines: one per node (\(nodeCount) nodes).</p>" : "")
    }

    func consensusPlot() -> String {
        var plot = LinePlot(id: "plot-consensus", xTitle: "round", yTitle: "consensus distance (log)", yScale: .log,
                            series: [.init(name: "consensus distance", color: "#1f77b4",
                                           points: s.rounds.map { .init(x: Double($0.round), y: $0.consensusDistance) }, width: 2)])
        plot.markers = eventMarkers
        plot.xSpan = roundSpan
        let dropped = s.rounds.filter { ($0.consensusDistance ?? 1) <= 0 }.count
        return plot.html() + (dropped > 0 ? "<p class='note'>\(dropped) round(s) at exactly 0 cannot be drawn on a log axis.</p>" : "")
    }

    func gapPlot() -> String {
        var plot = LinePlot(id: "plot-gap", xTitle: "round", yTitle: "relative product gap", yScale: .auto,
                            series: [.init(name: "product gap", color: "#9467bd",
                                           points: s.rounds.map { .init(x: Double($0.round), y: $0.productGap) }, width: 2)])
        plot.markers = eventMarkers
        plot.xSpan = roundSpan
        plot.yFloor = 0
        return plot.html()
    }

    func bytesPlot() -> String {
        let top = s.rounds.map { Double($0.bytes) }.max() ?? 0
        let unit = ByteUnit.fitting(top)
        var plot = LinePlot(id: "plot-bytes", xTitle: "round", yTitle: "bytes sent per round (\(unit.symbol))",
                            series: [.init(name: "all nodes", color: "#2ca02c",
                                           points: s.rounds.map { .init(x: Double($0.round), y: Double($0.bytes) / unit.divisor) }, width: 2)])
        plot.yFloor = 0
        plot.markers = eventMarkers
        plot.xSpan = roundSpan
        return plot.html()
    }

    func timePlot(_ t: RunTiming) -> String {
        let rounds = s.rounds.map(\.round)
        let points = t.secondsPerRound.enumerated().map { i, v in
            LinePlot.Point(x: Double(i < rounds.count ? rounds[i] : i + 1), y: v)
        }
        var plot = LinePlot(id: "plot-time", xTitle: "round", yTitle: "wall time per round (s)",
                            series: [.init(name: "wall time", color: "#8c564b", points: points, width: 2)])
        plot.xSpan = roundSpan
        plot.yFloor = 0
        return plot.html()
    }

    func evalRoundsPlot() -> String {
        let evals = s.rounds.filter { $0.eval != nil }
        var series: [LinePlot.Series] = [
            .init(name: "consensus adapter", color: "#1f77b4",
                  points: evals.map { .init(x: Double($0.round), y: $0.eval!.consensus) }, width: 2, markers: true),
        ]
        let nodeMeans = evals.map { r -> LinePlot.Point in
            let v = (r.eval!.byNode ?? [:]).values.filter(\.isFinite)
            return .init(x: Double(r.round), y: v.isEmpty ? nil : v.reduce(0, +) / Double(v.count))
        }
        if nodeMeans.contains(where: { $0.y != nil }) {
            series.append(.init(name: "nodes' own adapters (mean)", color: "#ff7f0e", points: nodeMeans, width: 1.6, markers: true))
        }
        var plot = LinePlot(id: "plot-eval-rounds", xTitle: "round", yTitle: "exact match (%)", series: series)
        plot.references = baselineReferences
        plot.yFloor = 0
        plot.yLabels = Self.percentLabels
        plot.markers = eventMarkers
        plot.xSpan = roundSpan
        return plot.html()
    }

    var baselineReferences: [LinePlot.Reference] {
        var refs: [LinePlot.Reference] = []
        if let c = s.final.centralized, c.isFinite { refs.append(.init(y: c, label: "centralized \(Figures.percent(c))", color: "#2ca02c")) }
        if let l = s.final.localOnlyMean, l.isFinite { refs.append(.init(y: l, label: "local-only mean \(Figures.percent(l))", color: "#d62728")) }
        if let c = s.final.core, c.isFinite { refs.append(.init(y: c, label: "core alone \(Figures.percent(c))", color: "#7f7f7f")) }
        return refs
    }

    /// Rows of the final comparison: the whole test set, then each domain.
    var finalRows: [(name: String, local: Double?, consensus: Double?, central: Double?)] {
        let f = s.final
        var rows = [(name: "all domains", local: f.localOnlyMean, consensus: f.consensus, central: f.centralized)]
        let domains = s.domains.isEmpty
            ? Array(Set((f.consensusByDomain ?? [:]).keys).union((f.localOnlyByDomain ?? [:]).keys).union((f.centralizedByDomain ?? [:]).keys)).sorted()
            : s.domains
        for d in domains { rows.append((d, f.localOnlyByDomain?[d], f.consensusByDomain?[d], f.centralizedByDomain?[d])) }
        return rows
    }

    func finalEvalPlot() -> String {
        let rows = finalRows
        var plot = BarPlot(id: "plot-eval-final", yTitle: "exact match (%)", groups: rows.map(\.name),
                           measures: [.init(name: "local-only (mean of nodes alone)", color: "#d62728"),
                                      .init(name: "swarm consensus", color: "#1f77b4"),
                                      .init(name: "centralized (pooled data)", color: "#2ca02c")],
                           values: rows.map { [$0.local, $0.consensus, $0.central] })
        plot.yCeiling = 1
        plot.yLabels = Self.percentLabels
        plot.figure = { Figures.percent($0) }
        return plot.html()
    }

    func finalEvalTable() -> String {
        var t = "<table><tr><th class='l'>test set</th><th>local-only</th><th>consensus</th><th>centralized</th><th>consensus − local-only</th></tr>"
        for r in finalRows {
            let delta = r.consensus.flatMap { c in r.local.map { l in c - l } }
            let d = delta.map { ($0 >= 0 ? "+" : "−") + String(format: "%.1f", abs($0) * 100) + " points" } ?? Figures.missing
            t += "<tr><td class='l'>\(HTMLText.escape(r.name))</td><td>\(Figures.percent(r.local))</td><td>\(Figures.percent(r.consensus))</td>"
                + "<td>\(Figures.percent(r.central))</td><td>\(delta?.isFinite == false ? Figures.missing : d)</td></tr>"
        }
        t += "</table>"
        if let l = s.final.localOnly, !l.isEmpty {
            t += "<p class='note'>Each node alone: " + l.keys.sorted().map { "node \($0) \(Figures.percent(l[$0]))" }.joined(separator: ", ") + ".</p>"
        }
        if let c = s.final.core { t += "<p class='note'>The core without an adapter: \(Figures.percent(c)).</p>" }
        return t
    }
}
