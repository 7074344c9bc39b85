import Foundation
import Scenario
import SwarmBase

/// report.html: a scenario run (`RunSummary`, optionally `RunTiming`) as one self-contained HTML
/// file with inline SVG plots, no scripts and no external files, so it opens from disk anywhere.
/// Every backend calls `write`; `swarmtune report` renders any summary.json.
public enum ReportHTML {
    /// The ids of the plots, in page order (each is an `<svg id=...>`).
    public static let plotIDs = ["plot-loss", "plot-consensus", "plot-gap", "plot-eval-final", "plot-eval-rounds",
                                 "plot-topology", "plot-timeline", "plot-bytes"]

    /// Renders the report. Pure: the same summary gives the same text.
    public static func render(summary s: RunSummary, timing: RunTiming? = nil) -> String {
        let page = ReportPage(summary: s, timing: timing)
        var body = "<h1>\(HTMLText.escape(s.scenario.isEmpty ? "SwarmTune run" : s.scenario))</h1>"
        if !s.comment.isEmpty { body += "<p class='comment'>\(HTMLText.escape(s.comment))</p>" }
        body += page.facts()
        body += section("Training loss per node", page.lossPlot(),
                        note: "Mean training loss over each round's local steps; a gap is a round the node did not complete.")
        body += section("Consensus distance", page.consensusPlot(),
                        note: "(1/n)Σ‖θ_i − θ̄‖² over the live nodes after each round's mix, on a log axis.")
        body += section("Product gap", page.gapPlot(), note: "‖M − B′A′‖ / ‖M‖ after each mix, the mean over the nodes that mixed: M is the weighted mean of the products B·A a node mixed, B′A′ its adapter after the mix; what averaging factors instead of updates loses (0 in frozen-a mode).")
        body += section("Exact match at the end", page.finalEvalPlot() + page.finalEvalTable(),
                        note: "Held-out exact match on the global test set, against the local-only and centralized baselines at the same token budget.")
        body += section("Exact match over rounds", page.evalRoundsPlot(), note: "The consensus adapter at each round of the eval schedule; dashed lines are the final baselines.")
        body += section("Topology", page.topologyFigure(), note: page.topologyNote)
        body += section("Membership timeline", page.timelineFigure() + page.timelineTable(),
                        note: "One lane per node: filled where the node completed the round; scenario events are marked, membership changes as nodes saw them are ticks on the lane.")
        body += section("Bytes per round", page.bytesPlot(), note: "Factor bytes sent by all nodes in each round.")
        if let timing, !timing.secondsPerRound.isEmpty { body += section("Wall time per round", page.timePlot(timing), note: nil) }
        body += page.dataTable()
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(HTMLText.escape(s.scenario)) — SwarmTune report</title>
            <style>\(style)</style></head>
            <body>\(body)</body></html>

            """
    }

    /// Renders and writes the report to `path` atomically: a reader sees the old file or the new
    /// one, never a part (a full disk leaves no partial file and says so).
    public static func write(summary: RunSummary, timing: RunTiming? = nil, to path: String) throws(ReportError) {
        do {
            try FileIO.writeAtomically(Array(render(summary: summary, timing: timing).utf8), to: path)
        } catch {
            throw ReportError(path: path, file: error)
        }
    }

    static func section(_ title: String, _ content: String, note: String?) -> String {
        "<section><h2>\(HTMLText.escape(title))</h2>" + (note.map { "<p class='note'>\(HTMLText.escape($0))</p>" } ?? "") + content + "</section>"
    }

    static let style = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:940px;color:#222;padding:0 12px}
        h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:26px 0 4px;border-bottom:1px solid #ddd;padding-bottom:2px}
        .comment{color:#444;margin:0 0 10px}.note{color:#666;font-size:12.5px;margin:2px 0 6px}
        table{border-collapse:collapse;margin:6px 0;font-size:13px}td,th{border:1px solid #d4d4d4;padding:2px 8px;text-align:right}
        th{background:#f3f3f3}td.l,th.l{text-align:left}svg{display:block}
        .legend{font-size:12px;margin:2px 0 8px 76px;display:flex;flex-wrap:wrap;gap:4px 14px}.legend span{display:inline-flex;align-items:center;gap:4px}
        .legend svg{display:inline}.facts td:first-child{text-align:left;color:#555}
        """
}
