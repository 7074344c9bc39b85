import Consensus
import Scenario

/// The pieces of one report page, computed from a summary: facts, tables and figures.
struct ReportPage {
    let s: RunSummary
    let timing: RunTiming?
    /// Every node the run had (joined ones included): lanes of the timeline, points of the topology.
    let nodeCount: Int

    init(summary: RunSummary, timing: RunTiming?) {
        s = summary
        self.timing = timing
        var highest = summary.nodes - 1
        for r in summary.rounds { for n in r.nodes { highest = max(highest, n.node) } }
        for t in summary.timeline { highest = max(highest, t.node ?? -1, t.seenBy ?? -1) }
        for d in summary.nodeData { highest = max(highest, d.node) }
        highest = max(highest, (summary.edges?.count ?? 0) - 1)
        nodeCount = min(max(0, highest + 1), 4096)
    }

    /// The run at a glance: scenario, backend, seed, topology, timing.
    func facts() -> String {
        var rows: [(String, String)] = [
            ("backend", s.backend), ("seed", String(s.seed)), ("nodes", "\(s.nodes)" + (nodeCount > s.nodes ? " (\(nodeCount) with joins)" : "")),
            ("topology", s.topology), ("averaging mode", s.mode), ("local steps per round", String(s.localSteps)),
            ("rounds", String(s.rounds.count)),
            ("core", s.core + (s.coreHash.isEmpty ? "" : " (\(s.coreHash.prefix(16))…)")),
        ]
        if let c = s.final.consensus { rows.append(("final consensus exact match", Figures.percent(c))) }
        if let c = s.final.consensusDistance { rows.append(("final consensus distance", Figures.significant(c))) }
        let totalBytes = s.rounds.reduce(0.0) { $0 + Double($1.bytes) }
        rows.append(("factor bytes sent in all", Figures.bytes(totalBytes)))
        if let t = timing {
            rows.append(("wall time", Figures.duration(t.seconds)))
            if let rss = t.peakRSSBytes { rows.append(("peak RSS", Figures.bytes(Double(rss)))) }
            if let cpu = t.cpu { rows.append(("CPU", cpu)) }
            rows.append(("threads", String(t.threads)))
        }
        return "<table class='facts'>" + rows.map { "<tr><td>\(HTMLText.escape($0.0))</td><td class='l'>\(HTMLText.escape($0.1))</td></tr>" }.joined()
            + "</table>"
    }

    /// Each node's training examples per domain, and the test set's.
    func dataTable() -> String {
        guard !s.nodeData.isEmpty || !s.testSet.isEmpty else { return "" }
        let domains = s.domains.isEmpty ? Array(Set(s.nodeData.flatMap { $0.domains.keys } + s.testSet.keys)).sorted() : s.domains
        var t = "<section><h2>Data</h2><table><tr><th class='l'>node</th><th>examples</th>"
            + domains.map { "<th>\(HTMLText.escape($0))</th>" }.joined() + "</tr>"
        for d in s.nodeData {
            t += "<tr><td class='l'>\(d.node)</td><td>\(d.examples)</td>" + domains.map { "<td>\(d.domains[$0] ?? 0)</td>" }.joined() + "</tr>"
        }
        if !s.testSet.isEmpty {
            t += "<tr><td class='l'>test set</td><td>\(s.testSet.values.reduce(0, +))</td>" + domains.map { "<td>\(s.testSet[$0] ?? 0)</td>" }.joined() + "</tr>"
        }
        return t + "</table></section>"
    }

    /// The neighbour lists to draw: recorded ones, else the topology rule rebuilt over the initial
    /// nodes; nil when neither is known.
    var neighbours: [[Int]]? {
        if let e = s.edges { return e }
        guard let rule = Topology(name: s.topology), s.nodes > 0, s.nodes <= 4096 else { return nil }
        return rule.neighbours(count: s.nodes)
    }

    var topologyNote: String {
        let key = " Brown: a node that turned hostile; hollow: a node that joined during the run."
        if s.edges != nil { return "Nodes on a circle; a line joins neighbours that exchange factors (as the run recorded them)." + key }
        if neighbours != nil { return "Nodes on a circle; lines are the \(s.topology) rule over the initial \(s.nodes) nodes (the run recorded no edge list)." + key }
        return "The run recorded no edge list and '\(s.topology)' is not a rule the report can rebuild: nodes only." + key
    }

    /// From round 0 to the last round or event: the x range every round plot shares.
    var roundSpan: ClosedRange<Double> {
        let last = (s.rounds.map(\.round) + s.timeline.map(\.round)).max() ?? 1
        return 0...Double(max(1, last))
    }

    /// The exact-match axis labels: 0%, 20%, ... with the step's decimals.
    static let percentLabels: @Sendable (Double, Double) -> String = { v, step in
        Figures.tick(v * 100, step: step * 100) + "%"
    }
}
