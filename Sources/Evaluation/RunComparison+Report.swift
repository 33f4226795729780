import Foundation
import HTMLKit
public import Storage

/// The Markdown and HTML renderings of a ``RunComparison/compare(_:resamples:seed:)`` result.
extension RunComparison {
    /// A value with `decimals` decimals; `—` for none.
    static func format(_ value: JSONValue?, decimals: Int, signed: Bool = false) -> String {
        guard let x = value?.doubleValue else { return "—" }
        let text = String(format: "%.\(decimals)f", x)
        return signed && x >= 0 ? "+" + text : text
    }

    /// A cell: `mean (n = k)`.
    static func cell(_ cell: JSONValue, decimals: Int) -> String {
        "\(format(cell["mean"], decimals: decimals)) (n = \(cell["n"]?.intValue ?? 0))"
    }

    /// A difference: `+0.125 [-0.250, 0.500]`, `paired` when it was.
    static func differenceText(_ difference: JSONValue, decimals: Int) -> String {
        guard difference != .null else { return "—" }
        var text = format(difference["difference"], decimals: decimals, signed: true)
        if let ci = difference["ci"]?.arrayValue, ci.count == 2 {
            text += " [\(format(ci[0], decimals: decimals)), \(format(ci[1], decimals: decimals))]"
        } else {
            text += " (no interval: n < 2)"
        }
        return text
    }

    /// The comparison as Markdown: the columns, then one row per figure with each column's mean and
    /// n and each later column's difference from the first with its interval.
    public static func markdown(_ comparison: JSONValue) -> String {
        let columns = comparison["columns"]?.arrayValue ?? []
        let labels = columns.map { $0["label"]?.stringValue ?? "" }
        let first = labels.first ?? ""
        var lines: [String] = []
        lines.append(
            "# Comparison: \(comparison["kind"]?.stringValue ?? "") \(comparison["scenario"]?.stringValue ?? "") (\(columns.count) columns)"
        )
        lines.append("")
        lines.append("| | " + labels.joined(separator: " | ") + " |")
        lines.append("|---|" + String(repeating: "---|", count: labels.count))
        for (key, name) in [("run", "run"), ("projection", "projection"), ("model", "model"), ("seed", "seed")] {
            let values = columns.map { column -> String in
                if let text = column[key]?.stringValue { return text }
                return column[key]?.intValue.map { String(UInt64(bitPattern: $0)) } ?? ""
            }
            lines.append("| \(name) | " + values.joined(separator: " | ") + " |")
        }
        lines.append("")
        let differenceHeads = labels.dropFirst().map { "\($0) − \(first) [95% CI]" }
        lines.append("| figure | " + (labels + differenceHeads).joined(separator: " | ") + " |")
        lines.append("|---|" + String(repeating: "---|", count: labels.count + differenceHeads.count))
        for row in comparison["rows"]?.arrayValue ?? [] {
            let decimals = Int(row["decimals"]?.intValue ?? 3)
            let cells = (row["columns"]?.arrayValue ?? []).map { cell($0, decimals: decimals) }
            let differences = (row["differences"]?.arrayValue ?? []).map { differenceText($0, decimals: decimals) }
            let label = "\(row["label"]?.stringValue ?? "") (per \(singular(row["of"]?.stringValue ?? "")))"
            lines.append("| \(label) | " + (cells + differences).joined(separator: " | ") + " |")
        }
        lines.append("")
        lines.append(
            "Intervals: \(comparison["resamples"]?.intValue ?? 0) bootstrap resamples (seed \(comparison["seed"]?.intValue ?? 0)) of the per-conversation or per-speaker values; paired where both columns have the same conversations (speakers). Consistency needs `agora evaluate RUN_DIR --judge …` first; — is no value."
        )
        return lines.joined(separator: "\n") + "\n"
    }

    static func singular(_ of: String) -> String { of == "speakers" ? "speaker" : "conversation" }

    /// The comparison as a self-contained HTML page (the same tables, and a forest plot of the
    /// differences per figure).
    public static func html(_ comparison: JSONValue) -> String {
        let columns = comparison["columns"]?.arrayValue ?? []
        let labels = columns.map { $0["label"]?.stringValue ?? "" }
        let first = labels.first ?? ""
        let title = "Comparison: \(comparison["scenario"]?.stringValue ?? "")"
        var h = HTML.head(title: title)
        h.append("<h1>\(HTML.escape(title))</h1>")
        h.append(
            "<p class=\"muted\">\(HTML.escape(comparison["kind"]?.stringValue ?? "")), \(columns.count) columns; each difference is against \(HTML.escape(first)).</p>"
        )
        h.append("<table><tr><th></th>" + labels.map { "<th>\(HTML.escape($0))</th>" }.joined() + "</tr>")
        for key in ["run", "projection", "model", "seed"] {
            let values = columns.map { column -> String in
                column[key]?.stringValue ?? column[key]?.intValue.map { String(UInt64(bitPattern: $0)) } ?? ""
            }
            h.append("<tr><th>\(key)</th>" + values.map { "<td>\(HTML.escape($0))</td>" }.joined() + "</tr>")
        }
        h.append("</table>")
        h.append("<h2>Figures</h2>")
        let heads = labels + labels.dropFirst().map { "\($0) − \(first) [95% CI]" }
        h.append("<table><tr><th>figure</th>" + heads.map { "<th>\(HTML.escape($0))</th>" }.joined() + "</tr>")
        var forest: [SVGChart.ForestRow] = []
        for row in comparison["rows"]?.arrayValue ?? [] {
            let decimals = Int(row["decimals"]?.intValue ?? 3)
            let label = row["label"]?.stringValue ?? ""
            let cells = (row["columns"]?.arrayValue ?? []).map { cell($0, decimals: decimals) }
            let differences = row["differences"]?.arrayValue ?? []
            h.append(
                "<tr><td>\(HTML.escape(label)) <span class=\"muted\">(per \(singular(row["of"]?.stringValue ?? "")))</span></td>"
                    + (cells + differences.map { differenceText($0, decimals: decimals) }).map {
                        "<td>\(HTML.escape($0))</td>"
                    }.joined() + "</tr>")
            // The forest plot shows the rates and scores in [0, 1] (tokens and cost have their own scales).
            guard decimals == 3 else { continue }
            for difference in differences {
                guard let d = difference["difference"]?.doubleValue, let ci = difference["ci"]?.arrayValue,
                    let low = ci.first?.doubleValue, let high = ci.last?.doubleValue
                else { continue }
                let column = difference["column"]?.stringValue ?? ""
                forest.append(
                    SVGChart.ForestRow(
                        label: labels.count > 2 ? "\(label) · \(column)" : label, estimate: d, low: low, high: high))
            }
        }
        h.append("</table>")
        if !forest.isEmpty {
            h.append("<h2>Differences with 95% intervals</h2>")
            h.append(
                SVGChart.forest(
                    forest, description: "Each column's difference from \(first), with its bootstrap interval"))
        }
        h.append(
            "<p class=\"muted\">\(comparison["resamples"]?.intValue ?? 0) bootstrap resamples (seed \(comparison["seed"]?.intValue ?? 0)) of the per-conversation or per-speaker values; paired where both columns have the same conversations (speakers). Consistency figures need <code>agora evaluate RUN_DIR --judge …</code>; — is no value.</p>"
        )
        h.append("</body></html>")
        return h.joined(separator: "\n") + "\n"
    }
}
