import Foundation

/// Small builders for inline SVG elements. Every coordinate goes through `n`, so no NaN or
/// infinity ever reaches the markup; every text through `HTMLText.escape`.
enum SVG {
    /// A coordinate with one decimal; a non-finite one becomes 0.
    static func n(_ x: Double) -> String {
        guard x.isFinite else { return "0" }
        let r = (x * 10).rounded() / 10
        return r == r.rounded() && abs(r) < 1e15 ? String(Int(r)) : String(format: "%.1f", r)
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1,
                     dash: String? = nil) -> String {
        "<line x1='\(n(x1))' y1='\(n(y1))' x2='\(n(x2))' y2='\(n(y2))' stroke='\(stroke)' stroke-width='\(n(width))'"
            + (dash.map { " stroke-dasharray='\($0)'" } ?? "") + "/>"
    }

    static func text(_ s: String, x: Double, y: Double, anchor: String = "start", size: Double = 11, color: String = "#333",
                     rotate: Bool = false, bold: Bool = false, halo: Bool = false) -> String {
        "<text x='\(n(x))' y='\(n(y))' font-size='\(n(size))' fill='\(color)' text-anchor='\(anchor)'"
            + (bold ? " font-weight='bold'" : "")
            + (halo ? " stroke='#fff' stroke-width='3' stroke-linejoin='round' paint-order='stroke'" : "")
            + (rotate ? " transform='rotate(-90 \(n(x)) \(n(y)))'" : "") + ">\(HTMLText.escape(s))</text>"
    }

    static func circle(_ x: Double, _ y: Double, r: Double, fill: String, stroke: String = "none", title: String? = nil) -> String {
        let open = "<circle cx='\(n(x))' cy='\(n(y))' r='\(n(r))' fill='\(fill)' stroke='\(stroke)'"
        guard let title else { return open + "/>" }
        return open + "><title>\(HTMLText.escape(title))</title></circle>"
    }

    static func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, title: String? = nil) -> String {
        let open = "<rect x='\(n(x))' y='\(n(y))' width='\(n(max(0, w)))' height='\(n(max(0, h)))' fill='\(fill)'"
        guard let title else { return open + "/>" }
        return open + "><title>\(HTMLText.escape(title))</title></rect>"
    }

    /// The opening tag of a figure's SVG, identified by `id` for links and tests.
    static func open(id: String, width: Double, height: Double, label: String) -> String {
        "<svg id='\(HTMLText.escape(id))' xmlns='http://www.w3.org/2000/svg' width='\(n(width))' height='\(n(height))' "
            + "viewBox='0 0 \(n(width)) \(n(height))' role='img' aria-label='\(HTMLText.escape(label))'>"
    }

    /// A categorical palette (Tableau 10), cycled.
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
    static func color(_ i: Int) -> String { palette[((i % palette.count) + palette.count) % palette.count] }
}
