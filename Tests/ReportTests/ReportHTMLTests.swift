import Foundation
import Report
import Scenario
import Testing

@Suite("report.html")
struct ReportHTMLTests {
    /// The page with every well-formedness problem it has: tags of these kinds must be
    /// self-closed or closed in order.
    static func tagProblems(_ html: String) -> [String] {
        let checked: Set<String> = ["svg", "g", "text", "title", "path", "rect", "circle", "line", "table", "tr", "td", "th", "section",
                                    "p", "div", "span", "h1", "h2", "html", "head", "body", "style"]
        let regex = try! NSRegularExpression(pattern: "<(/?)([a-zA-Z][a-zA-Z0-9]*)\\b[^>]*?(/?)>")
        var stack: [String] = [], problems: [String] = []
        let ns = html as NSString
        for m in regex.matches(in: html, range: NSRange(location: 0, length: ns.length)) {
            let closing = ns.substring(with: m.range(at: 1)) == "/", name = ns.substring(with: m.range(at: 2)).lowercased()
            let selfClosing = ns.substring(with: m.range(at: 3)) == "/"
            guard checked.contains(name), !selfClosing else { continue }
            if closing {
                if stack.last == name { stack.removeLast() } else { problems.append("</\(name)> closes <\(stack.last ?? "nothing")>") }
            } else {
                stack.append(name)
            }
        }
        return problems + stack.map { "<\($0)> never closed" }
    }

    static func count(_ needle: String, in s: String) -> Int { s.components(separatedBy: needle).count - 1 }

    @Test("a realistic run renders with balanced svg, g and text tags and every plot present by id")
    func wellFormed() {
        let html = ReportHTML.render(summary: SyntheticRun.summary(), timing: SyntheticRun.timing)
        #expect(Self.tagProblems(html) == [])
        for id in ReportHTML.plotIDs { #expect(Self.count("<svg id='\(id)'", in: html) == 1, "\(id)") }
        #expect(html.contains("<svg id='plot-time'"), "timing adds the wall time plot")
        #expect(Self.count("<svg", in: html) == Self.count("</svg>", in: html))
    }

    @Test("the page loads nothing from anywhere: no script, no link, no external font or image")
    func selfContained() {
        let html = ReportHTML.render(summary: SyntheticRun.summary(), timing: SyntheticRun.timing).lowercased()
        for forbidden in ["<script", "<link", "@import", "url(", "src=", "href=", "@font-face"] {
            #expect(!html.contains(forbidden), "\(forbidden)")
        }
    }

    @Test("an empty summary renders every plot, saying there is no data")
    func emptySummary() {
        let empty = RunSummary(scenario: "", comment: "", backend: "", seed: 0, core: "", coreHash: "", nodes: 0, topology: "", mode: "",
                               localSteps: 0, domains: [], nodeData: [], testSet: [:])
        let html = ReportHTML.render(summary: empty)
        #expect(Self.tagProblems(html) == [])
        for id in ReportHTML.plotIDs { #expect(html.contains("<svg id='\(id)'"), "\(id)") }
        #expect(html.contains("no data"))
    }

    @Test("nil, zero, NaN and infinite figures never print as NaN or Infinity")
    func noNaN() {
        var s = SyntheticRun.summary(nodes: 4, rounds: 6)
        s.rounds[0].consensusDistance = .nan
        s.rounds[1].consensusDistance = 0
        s.rounds[2].consensusDistance = nil
        s.rounds[3].consensusDistance = .infinity
        s.rounds[4].productGap = .nan
        s.rounds[5].productGap = -.infinity
        s.rounds[1].nodes[0].loss = .nan
        s.rounds[2].nodes[1].loss = nil
        s.rounds[3].nodes[2].loss = .infinity
        s.rounds[4].eval = .init(consensus: .nan, consensusByDomain: ["dates": .infinity], byNode: [0: .nan])
        s.final.consensus = .nan
        s.final.centralized = .infinity
        s.final.localOnlyMean = nil
        s.final.consensusByDomain = ["dates": .nan]
        s.final.consensusDistance = .nan
        s.timeline.append(.init(round: 2, seconds: .nan, kind: "pause", node: 1, detail: "paused"))
        let timing = RunTiming(seconds: .nan, secondsPerRound: [.nan, .infinity, 1], peakRSSBytes: nil, cpu: nil, threads: 1)
        let html = ReportHTML.render(summary: s, timing: timing)
        for bad in ["nan", "NaN", "inf", "Infinity"] { #expect(!html.contains(bad), "\(bad) in the page") }
        #expect(Self.tagProblems(html) == [])
    }

    /// A summary.json is a file: its numbers can be any finite double. Spans past 1e308 made the
    /// tick step infinite and Int(_:) trap; the page must render them.
    @Test("figures near the largest double render with balanced tags instead of trapping")
    func hugeFigures() {
        var s = SyntheticRun.summary(nodes: 4, rounds: 6)
        for i in s.rounds.indices {
            s.rounds[i].consensusDistance = i % 2 == 0 ? 1.7e308 : 1e-300
            s.rounds[i].productGap = i % 2 == 0 ? -1.7e308 : 1.7e308
            for n in s.rounds[i].nodes.indices { s.rounds[i].nodes[n].loss = n % 2 == 0 ? 1.7e308 : -1.7e308 }
        }
        s.timeline.append(.init(round: 2, seconds: 1e300, kind: "pause", node: 1, detail: "paused"))
        let timing = RunTiming(seconds: 1.7e308, secondsPerRound: [1e300, -1e300, 1], peakRSSBytes: nil, cpu: nil, threads: 1)
        let html = ReportHTML.render(summary: s, timing: timing)
        #expect(Self.tagProblems(html) == [])
        for id in ReportHTML.plotIDs { #expect(html.contains("<svg id='\(id)'"), "\(id)") }
    }

    @Test("all-zero series (frozen-a product gap, no bytes) render with a finite axis")
    func zeros() {
        var s = SyntheticRun.summary(nodes: 2, rounds: 4)
        for i in s.rounds.indices {
            s.rounds[i].productGap = 0
            s.rounds[i].bytes = 0
        }
        let html = ReportHTML.render(summary: s)
        #expect(!html.contains("nan") && !html.contains("inf"))
        #expect(Self.tagProblems(html) == [])
    }

    @Test("scenario names, comments, details and domains are HTML-escaped")
    func escaping() {
        var s = SyntheticRun.summary(nodes: 2, rounds: 2)
        s.scenario = "<script>alert(1)</script>"
        s.comment = "a & b <img src=x onerror=alert(2)> \"quoted\" 'single'"
        s.timeline.append(.init(round: 1, seconds: 1, kind: "join", node: 1, detail: "</table><script>x</script>"))
        s.domains.append("<b>bold</b>")
        let html = ReportHTML.render(summary: s)
        #expect(!html.contains("<script") && !html.contains("<img") && !html.contains("<b>"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("a &amp; b &lt;img src=x onerror=alert(2)&gt; &quot;quoted&quot; &#39;single&#39;"))
        #expect(Self.tagProblems(html) == [])
    }

    @Test("final exact match prints as percentages and the consensus distance with three significant digits")
    func figuresInPage() {
        var s = SyntheticRun.summary(nodes: 4, rounds: 3)
        s.final.consensus = 0.625
        s.final.consensusDistance = 0.000123456789012345
        let html = ReportHTML.render(summary: s)
        #expect(html.contains(">62.5%<"))
        #expect(html.contains("1.23e-4"))
        #expect(!html.contains("0.000123456789"))
    }

    @Test("the consensus plot uses a log axis labelled at powers of ten")
    func consensusLogAxis() {
        var s = SyntheticRun.summary(nodes: 4, rounds: 3)
        for (i, d) in [2e-1, 3e-3, 4e-4].enumerated() { s.rounds[i].consensusDistance = d }
        let html = ReportHTML.render(summary: s)
        let start = html.range(of: "<svg id='plot-consensus'")!.lowerBound
        let plot = String(html[start..<html[start...].range(of: "</svg>")!.upperBound])
        for label in [">1e-4<", ">1e-3<", ">1e-2<", ">1e-1<", ">1<"] { #expect(plot.contains(label), "\(label)") }
    }

    @Test("the topology draws a line per neighbour pair: recorded edges, else the rule")
    func topologyEdges() {
        var s = SyntheticRun.summary(nodes: 6, rounds: 1)
        func links(_ s: RunSummary) -> Int {
            let html = ReportHTML.render(summary: s)
            let start = html.range(of: "<g class='edges'>")!.upperBound
            return Self.count("<line", in: String(html[start..<html[start...].range(of: "</g>")!.lowerBound]))
        }
        #expect(links(s) == 6, "a ring of 6")
        s.topology = "full"
        #expect(links(s) == 15)
        s.topology = "explicit"
        s.edges = [[1, 2], [0], [0], [], [], []]
        #expect(links(s) == 2)
        s.edges = [[], [0], [0, 1], [], [], [4]]
        s.edges![3] = [3]
        #expect(links(s) == 4, "a pair listed on one side only counts once; a self-link not at all")
    }
}
