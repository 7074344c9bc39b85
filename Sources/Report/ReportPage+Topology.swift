import Foundation
import Scenario

extension ReportPage {
    /// The nodes on a circle (node 0 at the top, clockwise) and a line per neighbour pair; joined
    /// nodes are outlined, hostile ones drawn in their event colour.
    func topologyFigure() -> String {
        let size = 420.0, c = size / 2, radius = size / 2 - 36
        var svg = SVG.open(id: "plot-topology", width: size, height: size, label: "topology")
        guard nodeCount > 0 else {
            return svg + SVG.text("no nodes", x: c, y: c, anchor: "middle", size: 14, color: "#999") + "</svg>"
        }
        func point(_ i: Int) -> (Double, Double) {
            let a = 2 * Double.pi * Double(i) / Double(nodeCount) - Double.pi / 2
            return (c + radius * cos(a), c + radius * sin(a))
        }
        svg += "<g class='edges'>"
        var edgeCount = 0
        let lists = neighbours ?? []
        // Each undirected pair once, whichever side (or both) lists it.
        var pairs = Set<[Int]>()
        for (i, list) in lists.enumerated() where i < nodeCount {
            for j in list where j != i && (0..<nodeCount).contains(j) && pairs.insert([min(i, j), max(i, j)]).inserted {
                let (ax, ay) = point(i), (bx, by) = point(j)
                svg += SVG.line(ax, ay, bx, by, stroke: "#8aa9c8", width: nodeCount > 24 ? 0.6 : 1.2)
                edgeCount += 1
            }
        }
        svg += "</g><g class='nodes'>"
        let hostile = Set(s.timeline.filter { $0.kind == "hostile" }.compactMap(\.node))
        let r = nodeCount > 32 ? 4.0 : nodeCount > 16 ? 7.0 : 11.0
        for i in 0..<nodeCount {
            let (x, y) = point(i)
            let joined = i >= s.nodes
            let fill = hostile.contains(i) ? Self.color(ofKind: "hostile") : joined ? "#fff" : "#1f77b4"
            let degree = i < lists.count ? lists[i].count : 0
            svg += SVG.circle(x, y, r: r, fill: fill, stroke: joined ? "#1f77b4" : "#fff",
                              title: "node \(i): \(degree) neighbours" + (joined ? ", joined during the run" : "") + (hostile.contains(i) ? ", hostile" : ""))
            if nodeCount <= 32 || i % 4 == 0 {
                let (lx, ly) = (c + (radius + r + 10) * (x - c) / radius, c + (radius + r + 10) * (y - c) / radius)
                svg += SVG.text(String(i), x: lx, y: ly + 3.5, anchor: "middle", size: 10.5)
            }
        }
        svg += "</g>"
        svg += SVG.text("\(nodeCount) nodes, \(edgeCount) links", x: 8, y: size - 8, size: 11, color: "#555")
        return svg + "</svg>"
    }
}
