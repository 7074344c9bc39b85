import Foundation

/// A line plot as inline SVG: labelled "nice" ticks on both axes (log or linear y), gaps where a
/// value is missing or cannot be drawn, optional vertical event markers and horizontal reference
/// lines. The one plotting implementation behind report.html and `inspect --html`.
public struct LinePlot: Sendable {
    public struct Point: Sendable, Equatable {
        public var x: Double
        public var y: Double?
        public init(x: Double, y: Double?) {
            self.x = x
            self.y = y
        }
    }

    public struct Series: Sendable {
        public var name: String
        public var color: String
        public var points: [Point]
        public var width: Double
        public var dashed: Bool
        /// Draw a dot at every point (for sparse series such as the eval schedule).
        public var markers: Bool

        public init(name: String, color: String, points: [Point], width: Double = 1.6, dashed: Bool = false, markers: Bool = false) {
            self.name = name
            self.color = color
            self.points = points
            self.width = width
            self.dashed = dashed
            self.markers = markers
        }

        /// `values[i]` at x = i + `firstX`.
        public init(name: String, color: String, values: [Double?], firstX: Double = 0, width: Double = 1.6) {
            self.init(name: name, color: color, points: values.enumerated().map { Point(x: Double($0.offset) + firstX, y: $0.element) },
                      width: width)
        }
    }

    /// A vertical line at `x` labelled at the top (a scenario event).
    public struct Marker: Sendable {
        public var x: Double
        public var label: String
        public var color: String
        public init(x: Double, label: String, color: String) {
            self.x = x
            self.label = label
            self.color = color
        }
    }

    /// A horizontal dashed line at `y` (a baseline).
    public struct Reference: Sendable {
        public var y: Double
        public var label: String
        public var color: String
        public init(y: Double, label: String, color: String) {
            self.y = y
            self.label = label
            self.color = color
        }
    }

    public var id: String
    public var xTitle: String
    public var yTitle: String
    public var yScale: PlotAxis.Scale
    public var series: [Series]
    public var markers: [Marker] = []
    public var references: [Reference] = []
    /// Pins the y axis to include these (0 for losses and byte counts, 0...1 for shares).
    public var yFloor: Double?
    public var yCeiling: Double?
    /// Labels the y ticks (value, step); the default prints the value with the step's decimals.
    public var yLabels: (@Sendable (Double, Double) -> String)?
    /// Only whole-number x ticks (rounds, layers, indices).
    public var integerX = true
    /// Widens the x axis to include these (so plots of one run share their round axis).
    public var xSpan: ClosedRange<Double>?
    public var width = 900.0
    public var height = 300.0

    public init(id: String, xTitle: String, yTitle: String, yScale: PlotAxis.Scale = .linear, series: [Series]) {
        self.id = id
        self.xTitle = xTitle
        self.yTitle = yTitle
        self.yScale = yScale
        self.series = series
    }

    static let left = 76.0, right = 18.0, top = 22.0, bottom = 46.0

    /// The plot's `<svg>` element followed by its legend (when more than one series is named).
    public func html() -> String {
        svg() + legend()
    }

    public func svg() -> String {
        let xs = series.flatMap { $0.points.map(\.x) } + markers.map(\.x) + (xSpan.map { [$0.lowerBound, $0.upperBound] } ?? [])
        let ys = series.flatMap { $0.points.compactMap(\.y) } + references.map(\.y)
        let xAxis = PlotAxis(values: xs, scale: .linear, title: xTitle)
        let yAxis = PlotAxis(values: ys, scale: yScale, title: yTitle, floor: yFloor, ceiling: yCeiling, labels: yLabels)
        let x0 = Self.left, x1 = width - Self.right, y0 = height - Self.bottom, y1 = Self.top
        var s = SVG.open(id: id, width: width, height: height, label: "\(yTitle) against \(xTitle)")
        s += SVG.rect(x0, y1, x1 - x0, y0 - y1, fill: "#fcfcfc")
        s += PlotFrame.yAxis(yAxis, x0: x0, x1: x1, y0: y0, y1: y1)
        s += PlotFrame.xAxis(xAxis, integer: integerX, x0: x0, x1: x1, y0: y0, y1: y1)
        func px(_ x: Double) -> Double? { xAxis.position(x, from: x0, to: x1) }
        func py(_ y: Double) -> Double? { yAxis.position(y, from: y0, to: y1) }
        var drawn = 0
        s += "<g class='references'>"
        for r in references {
            guard let y = py(r.y) else { continue }
            s += SVG.line(x0, y, x1, y, stroke: r.color, width: 1.4, dash: "6 4")
            s += SVG.text(r.label, x: x1 - 4, y: y - 4, anchor: "end", size: 10, color: r.color, halo: true)
        }
        s += "</g><g class='markers'>"
        for (i, m) in markers.enumerated() {
            guard let x = px(m.x) else { continue }
            s += SVG.line(x, y1, x, y0, stroke: m.color, width: 1, dash: "3 3")
            s += SVG.text(m.label, x: x + 2, y: y1 + 10 + Double(i % 3) * 11, size: 9.5, color: m.color, halo: true)
        }
        s += "</g>"
        for line in series {
            var segments: [[(Double, Double)]] = [[]]
            for p in line.points {
                if let yv = p.y, let x = px(p.x), let y = py(yv) {
                    segments[segments.count - 1].append((x, y))
                } else if !segments[segments.count - 1].isEmpty {
                    segments.append([])
                }
            }
            let path = segments.filter { $0.count > 1 }.map { seg in
                "M" + seg.map { "\(SVG.n($0.0)),\(SVG.n($0.1))" }.joined(separator: "L")
            }.joined()
            s += "<g class='series'><title>\(HTMLText.escape(line.name))</title>"
            if !path.isEmpty {
                s += "<path d='\(path)' fill='none' stroke='\(line.color)' stroke-width='\(SVG.n(line.width))' stroke-linejoin='round'"
                    + (line.dashed ? " stroke-dasharray='5 3'" : "") + "/>"
            }
            for seg in segments where line.markers || seg.count == 1 {
                for (x, y) in seg { s += SVG.circle(x, y, r: 3, fill: line.color) }
            }
            drawn += segments.reduce(0) { $0 + $1.count }
            s += "</g>"
        }
        if drawn == 0 {
            s += SVG.text("no data", x: (x0 + x1) / 2, y: (y0 + y1) / 2, anchor: "middle", size: 14, color: "#999")
        }
        return s + "</svg>"
    }

    func legend() -> String {
        let named = series.filter { !$0.name.isEmpty }
        guard named.count > 1 || !references.isEmpty else { return "" }
        let items = named.map { ($0.name, $0.color, $0.dashed) } + references.map { ($0.label, $0.color, true) }
        return "<div class='legend'>" + items.map { name, color, dashed in
            "<span><svg width='22' height='10'>\(SVG.line(1, 5, 21, 5, stroke: color, width: 2.5, dash: dashed ? "4 2" : nil))</svg>\(HTMLText.escape(name))</span>"
        }.joined(separator: " ") + "</div>"
    }
}

/// The axes, ticks, grid and titles every plot shares.
enum PlotFrame {
    /// The y axis at x0: major ticks with labels and grid lines, minor ticks, the rotated title.
    static func yAxis(_ a: PlotAxis, x0: Double, x1: Double, y0: Double, y1: Double) -> String {
        var s = "<g class='axis y'>"
        for m in a.minorTicks {
            guard let y = a.position(m, from: y0, to: y1) else { continue }
            s += SVG.line(x0, y, x1, y, stroke: "#f0f0f0") + SVG.line(x0 - 3, y, x0, y, stroke: "#555")
        }
        for t in a.ticks {
            guard let y = a.position(t.value, from: y0, to: y1) else { continue }
            s += SVG.line(x0, y, x1, y, stroke: "#e2e2e2") + SVG.line(x0 - 6, y, x0, y, stroke: "#333")
            if let label = t.label { s += SVG.text(label, x: x0 - 9, y: y + 3.5, anchor: "end", size: 10.5) }
        }
        s += SVG.line(x0, y0, x0, y1, stroke: "#333")
        s += SVG.text(a.title, x: 16, y: (y0 + y1) / 2, anchor: "middle", size: 11.5, rotate: true)
        return s + "</g>"
    }

    /// The x axis at y0: ticks with labels (whole numbers only with `integer`), the title below.
    static func xAxis(_ a: PlotAxis, integer: Bool, x0: Double, x1: Double, y0: Double, y1: Double) -> String {
        var s = "<g class='axis x'>"
        for t in a.ticks where !integer || t.value == t.value.rounded() {
            guard let x = a.position(t.value, from: x0, to: x1) else { continue }
            s += SVG.line(x, y0, x, y0 + 6, stroke: "#333")
            if let label = t.label { s += SVG.text(label, x: x, y: y0 + 18, anchor: "middle", size: 10.5) }
        }
        s += SVG.line(x0, y0, x1, y0, stroke: "#333")
        s += SVG.text(a.title, x: (x0 + x1) / 2, y: y0 + 37, anchor: "middle", size: 11.5)
        return s + "</g>"
    }
}
