/// Grouped bars as inline SVG: one group per category (a domain), one bar per measure (local-only,
/// consensus, centralized), a linear y axis from 0 with nice ticks, and each bar's figure on top.
public struct BarPlot: Sendable {
    public struct Measure: Sendable {
        public var name: String
        public var color: String
        public init(name: String, color: String) {
            self.name = name
            self.color = color
        }
    }

    public var id: String
    public var yTitle: String
    public var groups: [String]
    public var measures: [Measure]
    /// `values[group][measure]`; nil leaves a gap.
    public var values: [[Double?]]
    public var yCeiling: Double?
    public var yLabels: (@Sendable (Double, Double) -> String)?
    /// The figure printed on a bar.
    public var figure: @Sendable (Double) -> String = { Figures.significant($0) }
    public var width = 900.0
    public var height = 300.0

    public init(id: String, yTitle: String, groups: [String], measures: [Measure], values: [[Double?]]) {
        self.id = id
        self.yTitle = yTitle
        self.groups = groups
        self.measures = measures
        self.values = values
    }

    public func html() -> String {
        let x0 = LinePlot.left, x1 = width - LinePlot.right, y0 = height - LinePlot.bottom, y1 = LinePlot.top
        let all = values.flatMap { $0.compactMap { $0 } }
        let axis = PlotAxis(values: all, scale: .linear, title: yTitle, floor: 0, ceiling: yCeiling, labels: yLabels)
        var s = SVG.open(id: id, width: width, height: height, label: yTitle)
        s += SVG.rect(x0, y1, x1 - x0, y0 - y1, fill: "#fcfcfc")
        s += PlotFrame.yAxis(axis, x0: x0, x1: x1, y0: y0, y1: y1)
        s += SVG.line(x0, y0, x1, y0, stroke: "#333")
        let groupWidth = (x1 - x0) / Double(max(1, groups.count))
        let barWidth = min(60, groupWidth * 0.8 / Double(max(1, measures.count)))
        var drawn = 0
        for (g, name) in groups.enumerated() {
            let start = x0 + groupWidth * Double(g) + (groupWidth - barWidth * Double(measures.count)) / 2
            s += "<g class='group'>"
            for (m, measure) in measures.enumerated() {
                guard g < values.count, m < values[g].count, let v = values[g][m], v.isFinite,
                      let top = axis.position(v, from: y0, to: y1), let base = axis.position(max(0, axis.lower), from: y0, to: y1) else { continue }
                let x = start + barWidth * Double(m)
                s += SVG.rect(x + 1, min(top, base), barWidth - 2, abs(base - top), fill: measure.color,
                              title: "\(name), \(measure.name): \(figure(v))")
                s += SVG.text(figure(v), x: x + barWidth / 2, y: min(top, base) - 3, anchor: "middle", size: 9.5)
                drawn += 1
            }
            s += SVG.line(x0 + groupWidth * (Double(g) + 0.5), y0, x0 + groupWidth * (Double(g) + 0.5), y0 + 5, stroke: "#333")
            s += SVG.text(name, x: x0 + groupWidth * (Double(g) + 0.5), y: y0 + 18, anchor: "middle", size: 11) + "</g>"
        }
        if drawn == 0 {
            s += SVG.text("no data", x: (x0 + x1) / 2, y: (y0 + y1) / 2, anchor: "middle", size: 14, color: "#999")
        }
        s += "</svg>"
        let legend = measures.map {
            "<span><svg width='12' height='10'>\(SVG.rect(1, 0, 10, 10, fill: $0.color))</svg>\(HTMLText.escape($0.name))</span>"
        }.joined(separator: " ")
        return s + "<div class='legend'>\(legend)</div>"
    }
}
