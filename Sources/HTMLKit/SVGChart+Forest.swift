import Foundation

extension SVGChart {
    /// One row of a forest plot: a label, an estimate and its interval.
    public struct ForestRow: Sendable, Hashable {
        /// The label (cut to 44 characters).
        public var label: String
        /// The point estimate.
        public var estimate: Double
        /// The lower end of the interval.
        public var low: Double
        /// The upper end of the interval.
        public var high: Double
        /// Whether the row is drawn highlighted (e.g. significant after Holm's correction).
        public var highlighted: Bool

        /// Creates a row.
        public init(label: String, estimate: Double, low: Double, high: Double, highlighted: Bool = false) {
            self.label = label
            self.estimate = estimate
            self.low = low
            self.high = high
            self.highlighted = highlighted
        }
    }

    /// A forest plot, 640 pixels wide: per row the label, the interval as a line and the estimate
    /// as a square, on a common axis through zero (a dashed line) with the axis's ends labelled.
    public static func forest(_ rows: [ForestRow], description: String? = nil) -> String {
        let width = 640.0
        let labelWidth = 280.0
        let plotWidth = width - labelWidth - 70
        let rowHeight = 20.0
        var lowest = rows.map(\.low).filter(\.isFinite).min() ?? -1
        var highest = rows.map(\.high).filter(\.isFinite).max() ?? 1
        lowest = min(lowest, 0)
        highest = max(highest, 0)
        if highest - lowest < 1e-9 {
            lowest -= 1
            highest += 1
        }
        let pad = (highest - lowest) * 0.05
        lowest -= pad
        highest += pad
        func x(_ v: Double) -> Double {
            labelWidth + (min(highest, max(lowest, v)) - lowest) / (highest - lowest) * plotWidth
        }
        let height = Double(rows.count) * rowHeight + 30
        var s =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\""
        if let description { s += " aria-label=\"\(HTML.escape(description))\"" }
        s += ">"
        s +=
            "<line x1=\"\(format(x(0)))\" x2=\"\(format(x(0)))\" y1=\"0\" y2=\"\(format(height - 24))\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>"
        for (index, row) in rows.enumerated() {
            let y = Double(index) * rowHeight + 12
            let label = row.label.count > 44 ? String(row.label.prefix(43)) + "…" : row.label
            let color = row.highlighted ? "#c0392b" : "#4c78a8"
            s += "<text x=\"0\" y=\"\(format(y + 4))\">\(HTML.escape(label))</text>"
            s +=
                "<line x1=\"\(format(x(row.low)))\" x2=\"\(format(x(row.high)))\" y1=\"\(format(y))\" y2=\"\(format(y))\" stroke=\"\(color)\" stroke-width=\"2\"/>"
            s +=
                "<rect x=\"\(format(x(row.estimate) - 4))\" y=\"\(format(y - 4))\" width=\"8\" height=\"8\" fill=\"\(color)\"><title>\(HTML.escape(row.label)): \(String(format: "%.3f", row.estimate)) [\(String(format: "%.3f", row.low)), \(String(format: "%.3f", row.high))]</title></rect>"
            s +=
                "<text x=\"\(format(labelWidth + plotWidth + 6))\" y=\"\(format(y + 4))\">\(String(format: "%+.2f", row.estimate))</text>"
        }
        let axisY = height - 8
        s += "<text x=\"\(format(labelWidth - 10))\" y=\"\(format(axisY))\">\(String(format: "%.2f", lowest))</text>"
        s += "<text x=\"\(format(x(0) - 4))\" y=\"\(format(axisY))\">0</text>"
        s +=
            "<text x=\"\(format(labelWidth + plotWidth - 24))\" y=\"\(format(axisY))\">\(String(format: "%.2f", highest))</text>"
        return s + "</svg>"
    }
}
