import Foundation

/// Inline SVG charts for Agora's pages: horizontal bars (one or more per row, with intervals) and a
/// line chart of shares. Coordinates are written with one decimal, so a chart is the same bytes on
/// every run.
public enum SVGChart {
    /// One bar of a row: a share in [0, 1] of the plot width.
    public struct Bar: Sendable {
        /// The share of the plot width, clamped to [0, 1].
        public var share: Double
        /// The fill colour, e.g. `#4c78a8`.
        public var color: String
        /// A tooltip, if any.
        public var tooltip: String?
        /// A 95% interval of the share, drawn as a line across the bar, if any.
        public var interval: (Double, Double)?

        /// Creates a bar.
        public init(share: Double, color: String = "#4c78a8", tooltip: String? = nil, interval: (Double, Double)? = nil)
        {
            self.share = share
            self.color = color
            self.tooltip = tooltip
            self.interval = interval
        }
    }

    /// One row of a bar chart: a label on the left, its bars, a note on the right.
    public struct Row: Sendable {
        /// The label (cut to 34 characters).
        public var label: String
        /// The bars, drawn one under the other.
        public var bars: [Bar]
        /// The text after the bars.
        public var note: String

        /// Creates a row.
        public init(label: String, bars: [Bar], note: String) {
            self.label = label
            self.bars = bars
            self.note = note
        }
    }

    /// Horizontal bars, 640 pixels wide: per row the label, its bars (14 pixels high, one under the
    /// other, each with its interval and tooltip) and the note. `description` becomes the chart's
    /// `aria-label`.
    public static func bars(_ rows: [Row], description: String? = nil) -> String {
        let width = 640.0
        let labelWidth = 220.0
        let barArea = width - labelWidth - 90
        let barsPerRow = max(1, rows.map(\.bars.count).max() ?? 1)
        let rowHeight = 6 + 16 * Double(barsPerRow)
        let textOffset = 14 + 8 * Double(barsPerRow - 1)
        var s =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(Double(rows.count) * rowHeight + 6))\" role=\"img\""
        if let description { s += " aria-label=\"\(HTML.escape(description))\"" }
        s += ">"
        for (index, row) in rows.enumerated() {
            let y = Double(index) * rowHeight + 3
            let label = row.label.count > 34 ? String(row.label.prefix(33)) + "…" : row.label
            s += "<text x=\"0\" y=\"\(format(y + textOffset))\">\(HTML.escape(label))</text>"
            for (position, bar) in row.bars.enumerated() {
                let top = y + 3 + 16 * Double(position)
                let w = barArea * min(1, max(0, bar.share))
                s +=
                    "<rect x=\"\(format(labelWidth))\" y=\"\(format(top))\" width=\"\(format(w))\" height=\"14\" fill=\"\(bar.color)\""
                s += bar.tooltip.map { "><title>\(HTML.escape($0))</title></rect>" } ?? "/>"
                if let ci = bar.interval {
                    let x1 = labelWidth + barArea * ci.0
                    let x2 = labelWidth + barArea * ci.1
                    s +=
                        "<line x1=\"\(format(x1))\" x2=\"\(format(x2))\" y1=\"\(format(top + 7))\" y2=\"\(format(top + 7))\" stroke=\"#222\" stroke-width=\"1.5\"/>"
                }
            }
            s +=
                "<text x=\"\(format(labelWidth + barArea + 6))\" y=\"\(format(y + textOffset))\">\(HTML.escape(row.note))</text>"
        }
        return s + "</svg>"
    }

    /// A line chart of series with values in [0, 1] over labelled x positions: grid lines at 0, 0.5
    /// and 1, one polyline and one dot (with its value as a tooltip) per point, and a legend on the
    /// right.
    public static func lineChart(_ series: [(name: String, values: [Double], color: String)], xLabels: [String])
        -> String
    {
        let width = 640.0
        let height = 220.0
        let left = 44.0
        let right = 110.0
        let top = 12.0
        let bottom = 30.0
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        let n = xLabels.count
        func x(_ i: Int) -> Double { left + (n <= 1 ? plotWidth / 2 : Double(i) / Double(n - 1) * plotWidth) }
        func y(_ v: Double) -> Double { top + (1 - min(1, max(0, v))) * plotHeight }
        var s =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\">"
        for tick in [0.0, 0.5, 1.0] {
            s +=
                "<line x1=\"\(format(left))\" x2=\"\(format(left + plotWidth))\" y1=\"\(format(y(tick)))\" y2=\"\(format(y(tick)))\" stroke=\"#ddd\"/>"
            s += "<text x=\"0\" y=\"\(format(y(tick) + 4))\">\(String(format: "%.1f", tick))</text>"
        }
        for (i, label) in xLabels.enumerated() {
            s += "<text x=\"\(format(x(i) - 12))\" y=\"\(format(height - 8))\">\(HTML.escape(label))</text>"
        }
        for (index, line) in series.enumerated() {
            let points = line.values.prefix(n).enumerated().map { "\(format(x($0.offset))),\(format(y($0.element)))" }
            s +=
                "<polyline fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>"
            for (i, v) in line.values.prefix(n).enumerated() {
                s +=
                    "<circle cx=\"\(format(x(i)))\" cy=\"\(format(y(v)))\" r=\"3\" fill=\"\(line.color)\"><title>\(HTML.escape(line.name)) k=\(i + 1): \(String(format: "%.3f", v))</title></circle>"
            }
            let legendY = top + 14 + Double(index) * 18
            s +=
                "<rect x=\"\(format(width - right + 12))\" y=\"\(format(legendY - 9))\" width=\"10\" height=\"10\" fill=\"\(line.color)\"/>"
            s += "<text x=\"\(format(width - right + 28))\" y=\"\(format(legendY))\">\(HTML.escape(line.name))</text>"
        }
        return s + "</svg>"
    }

    /// A coordinate with one decimal.
    static func format(_ x: Double) -> String { String(format: "%.1f", x) }
}
