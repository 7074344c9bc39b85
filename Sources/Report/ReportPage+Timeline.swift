import Scenario

extension ReportPage {
    static let scenarioKinds: Set<String> = ["kill", "restart", "pause", "resume", "partition", "heal", "join", "hostile"]

    static func color(ofKind kind: String) -> String {
        switch kind {
        case "kill", "dead": return "#d62728"
        case "restart", "alive", "join": return "#2ca02c"
        case "pause", "suspect": return "#ff7f0e"
        case "resume": return "#17becf"
        case "partition": return "#9467bd"
        case "heal": return "#1f77b4"
        case "hostile": return "#8c564b"
        default: return "#7f7f7f"
        }
    }

    /// The scenario's events as vertical markers on the round plots.
    var eventMarkers: [LinePlot.Marker] {
        s.timeline.filter { Self.scenarioKinds.contains($0.kind) }.map {
            .init(x: Double($0.round), label: $0.kind + ($0.node.map { " \($0)" } ?? ""), color: Self.color(ofKind: $0.kind))
        }
    }

    /// One lane per node over the rounds: where it completed rounds, the scenario's events on it
    /// (or across every lane for swarm-wide ones), and membership changes others saw as ticks.
    func timelineFigure() -> String {
        let lanes = max(1, nodeCount)
        let laneHeight = lanes > 32 ? 8.0 : lanes > 16 ? 12.0 : 20.0
        let x0 = LinePlot.left, x1 = 900 - LinePlot.right, y1 = 34.0
        let y0 = y1 + laneHeight * Double(lanes), height = y0 + LinePlot.bottom
        let axis = PlotAxis(values: [roundSpan.lowerBound, roundSpan.upperBound], scale: .linear, title: "round")
        var svg = SVG.open(id: "plot-timeline", width: 900, height: height, label: "membership timeline")
        svg += SVG.rect(x0, y1, x1 - x0, y0 - y1, fill: "#fcfcfc")
        // The width of one round on the axis.
        let unit = max(1.5, (axis.position(axis.lower + 1, from: x0, to: x1) ?? x0 + 2) - x0)
        func x(_ round: Int) -> Double { axis.position(Double(round), from: x0, to: x1) ?? x0 }
        func laneTop(_ node: Int) -> Double { y1 + laneHeight * Double(node) }
        svg += "<g class='lanes'>"
        let labelEvery = lanes > 32 ? 8 : lanes > 16 ? 2 : 1
        for node in 0..<nodeCount {
            if node % labelEvery == 0 {
                svg += SVG.text("node \(node)", x: x0 - 6, y: laneTop(node) + laneHeight / 2 + 3.5, anchor: "end", size: min(10.5, laneHeight))
            }
            // Runs of consecutive completed rounds, one rectangle each.
            let done = s.rounds.filter { r in r.nodes.contains { $0.node == node } }.map(\.round)
            var start: Int?, previous = Int.min
            for r in done + [Int.max] {
                if r != previous + 1 {
                    if let a = start {
                        let left = max(x0, x(a) - unit / 2), right = min(x1, x(previous) + unit / 2)
                        svg += SVG.rect(left, laneTop(node) + 1.5, right - left, laneHeight - 3, fill: "#cfe3f5",
                                        title: "node \(node): rounds \(a)–\(previous) completed")
                    }
                    start = r
                }
                previous = r
            }
        }
        svg += "</g><g class='spans'>"
        // What lasts: a partition until it heals (every lane), a kill until the restart and a pause
        // until it resumes (the node's lane), shaded.
        let last = Int(roundSpan.upperBound)
        for span in eventSpans(until: last) {
            let left = max(x0, x(span.from) - unit / 2), right = min(x1, x(span.to) + unit / 2)
            let (top, height) = span.node.map { (laneTop($0), laneHeight) } ?? (y1, y0 - y1)
            svg += "<rect x='\(SVG.n(left))' y='\(SVG.n(top))' width='\(SVG.n(max(0, right - left)))' height='\(SVG.n(height))' "
                + "fill='\(Self.color(ofKind: span.kind))' fill-opacity='0.16'><title>\(HTMLText.escape(span.title))</title></rect>"
        }
        svg += "</g><g class='membership'>"
        // Membership as nodes saw it: one tick per (node, round, kind), titled with how many saw it.
        var seen: [String: (node: Int, round: Int, kind: String, by: [Int])] = [:]
        for t in s.timeline where !Self.scenarioKinds.contains(t.kind) {
            guard let node = t.node, node >= 0, node < nodeCount else { continue }
            let key = "\(node)/\(t.round)/\(t.kind)"
            seen[key, default: (node, t.round, t.kind, [])].by += t.seenBy.map { [$0] } ?? []
        }
        for (_, m) in seen.sorted(by: { $0.key < $1.key }) {
            let by = m.by.isEmpty ? "" : ", seen by node" + (m.by.count == 1 ? " " : "s ") + m.by.sorted().map(String.init).joined(separator: ", ")
            svg += SVG.rect(x(m.round) - 1.5, laneTop(m.node) + 1, 3, laneHeight - 2, fill: Self.color(ofKind: m.kind),
                            title: "round \(m.round): node \(m.node) \(m.kind)\(by)")
        }
        svg += "</g><g class='events'>"
        for (i, e) in s.timeline.enumerated() where Self.scenarioKinds.contains(e.kind) {
            let c = Self.color(ofKind: e.kind), ex = x(e.round)
            let title = "round \(e.round) (\(Figures.duration(e.seconds))): \(e.kind)\(e.node.map { " node \($0)" } ?? ""). \(e.detail)"
            if let node = e.node, node >= 0, node < nodeCount {
                let cy = laneTop(node) + laneHeight / 2, d = max(4.5, laneHeight * 0.42)
                svg += "<path d='M\(SVG.n(ex)),\(SVG.n(cy - d))L\(SVG.n(ex + d)),\(SVG.n(cy))L\(SVG.n(ex)),\(SVG.n(cy + d))L\(SVG.n(ex - d)),\(SVG.n(cy))Z' fill='\(c)' stroke='#fff' stroke-width='0.8'><title>\(HTMLText.escape(title))</title></path>"
            } else {
                svg += SVG.line(ex, y1, ex, y0, stroke: c, width: 1.6, dash: "4 3")
            }
            svg += SVG.text(e.kind + (e.node.map { " \($0)" } ?? ""), x: ex + 2, y: y1 - 4 - Double(i % 2) * 11, size: 9.5, color: c)
        }
        svg += "</g>"
        svg += PlotFrame.xAxis(axis, integer: true, x0: x0, x1: x1, y0: y0, y1: y1)
        svg += SVG.line(x0, y0, x0, y1, stroke: "#333") + "</svg>"
        let kinds = ["kill", "restart", "pause", "resume", "partition", "heal", "join", "hostile", "alive", "suspect", "dead", "left"]
        let present = Set(s.timeline.map(\.kind))
        let legend = "<div class='legend'><span><svg width='14' height='10'>\(SVG.rect(0, 0, 14, 10, fill: "#cfe3f5"))</svg>round completed</span> "
            + kinds.filter(present.contains).map { "<span><svg width='10' height='10'>\(SVG.rect(0, 0, 10, 10, fill: Self.color(ofKind: $0)))</svg>\($0)</span>" }
            .joined(separator: " ") + "</div>"
        return svg + legend
    }

    /// Intervals the scenario's events open and close: partition → heal, kill → restart,
    /// pause → resume (an unclosed one lasts to `last`).
    func eventSpans(until last: Int) -> [(kind: String, node: Int?, from: Int, to: Int, title: String)] {
        let closers = ["partition": "heal", "kill": "restart", "pause": "resume"]
        var spans: [(kind: String, node: Int?, from: Int, to: Int, title: String)] = []
        for (i, e) in s.timeline.enumerated() {
            guard let closer = closers[e.kind], e.node.map({ $0 >= 0 && $0 < nodeCount }) ?? true else { continue }
            let end = s.timeline[(i + 1)...].first { $0.kind == closer && $0.node == e.node }
            let to = max(e.round, (end?.round).map { $0 - 1 } ?? last)
            spans.append((e.kind, e.node, e.round, to, "\(e.kind)\(e.node.map { " node \($0)" } ?? ""): rounds \(e.round)–\(to)"
                          + (end == nil ? " (to the end)" : "")))
        }
        return spans
    }

    /// The timeline entries as text (the first 200).
    func timelineTable() -> String {
        guard !s.timeline.isEmpty else { return "<p class='note'>No events or membership changes were recorded.</p>" }
        var t = "<table><tr><th>round</th><th>time</th><th class='l'>kind</th><th>node</th><th>seen by</th><th class='l'>detail</th></tr>"
        for e in s.timeline.prefix(200) {
            t += "<tr><td>\(e.round)</td><td>\(Figures.duration(e.seconds))</td><td class='l'>\(HTMLText.escape(e.kind))</td>"
                + "<td>\(e.node.map(String.init) ?? "")</td><td>\(e.seenBy.map(String.init) ?? "")</td><td class='l'>\(HTMLText.escape(e.detail))</td></tr>"
        }
        t += "</table>"
        if s.timeline.count > 200 { t += "<p class='note'>\(s.timeline.count - 200) more entries are in summary.json.</p>" }
        return t
    }
}
