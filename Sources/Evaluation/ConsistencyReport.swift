import HTMLKit
public import Runs
public import Storage

/// What an evaluated run adds to its kind's outputs: results.json's `consistency`,
/// consistency-lines.jsonl and the report section. Pure functions of the stored run documents, so
/// `agora report` rebuilds them.
public enum ConsistencyReport {
    /// The lowest-scoring lines the report shows.
    public static let lowestLines = 10

    /// results.json's `consistency` object, when the run was evaluated.
    public static func results(_ data: RunData) -> JSONValue? {
        data.documents[ConsistencyEvaluation.summaryDocument]
    }

    /// `results` with `consistency` added at the end when the run was evaluated.
    public static func adding(to results: JSONValue, _ data: RunData) -> JSONValue {
        guard let consistency = Self.results(data), var object = results.objectValue else { return results }
        object["consistency"] = consistency
        return .object(object)
    }

    /// consistency-lines.jsonl (one compact JSON object per line), when the run was evaluated.
    public static func linesOutput(_ data: RunData) -> RunOutput? {
        guard let lines = data.documents[ConsistencyEvaluation.linesDocument]?.arrayValue else { return nil }
        return RunOutput("consistency-lines.jsonl", lines.map { $0.serialized() + "\n" }.joined())
    }

    static func cell(_ score: JSONValue?) -> String {
        guard let score else { return "<td class=\"muted\">–</td>" }
        let n = score["n"]?.intValue ?? 0
        var text = score["score"]?.doubleValue.map { format($0) } ?? "n/a"
        text += " <span class=\"muted\">(n = \(n)"
        if let errors = score["judgeErrors"]?.intValue, errors > 0 { text += ", \(errors) judge errors" }
        return "<td>\(text))</span></td>"
    }

    static func format(_ x: Double) -> String {
        let scaled = (x * 1000).rounded() / 1000
        return String(describing: scaled)
    }

    /// The report section: the per-condition summary, the per-speaker table and the lowest-scoring
    /// lines with the judge's reason; empty when the run was not evaluated.
    public static func htmlSection(_ data: RunData) -> String {
        guard let summary = results(data) else { return "" }
        let metrics = (summary["metrics"]?.arrayValue ?? []).compactMap(\.stringValue)
        var h = ["<h2>Persona consistency</h2>"]
        h.append(
            "<p class=\"muted\">Judge \(HTML.escape(summary["judge"]?.stringValue ?? "")) · p2l: prompt-to-line, l2l: line-to-line, qa: questions about the persona (evaluation.md). A score with n = 0 is n/a.</p>"
        )
        h.append(
            "<table><tr><th>condition</th>" + metrics.map { "<th>\($0) mean ± sd [95% CI]</th>" }.joined() + "</tr>")
        for condition in summary["conditions"]?.arrayValue ?? [] {
            var row = "<tr><th>\(HTML.escape(condition["condition"]?.stringValue ?? ""))</th>"
            for metric in metrics {
                let a = condition[metric]
                var text = a?["mean"]?.doubleValue.map(format) ?? "n/a"
                if let sd = a?["sd"]?.doubleValue { text += " ± \(format(sd))" }
                if let ci = a?["ci"]?.arrayValue, ci.count == 2 {
                    text += " [\(format(ci[0].doubleValue ?? 0)), \(format(ci[1].doubleValue ?? 0))]"
                }
                row += "<td>\(text) <span class=\"muted\">(\(a?["n"]?.intValue ?? 0) speakers)</span></td>"
            }
            h.append(row + "</tr>")
        }
        h.append("</table>")
        h.append("<table><tr><th>unit</th><th>speaker</th>" + metrics.map { "<th>\($0)</th>" }.joined() + "</tr>")
        for speaker in summary["speakers"]?.arrayValue ?? [] {
            h.append(
                "<tr><td>\(HTML.escape(speaker["unit"]?.stringValue ?? ""))</td><td>\(HTML.escape(speaker["speaker"]?.stringValue ?? ""))</td>"
                    + metrics.map { cell(speaker[$0]) }.joined() + "</tr>")
        }
        h.append("</table>")
        let lines = (data.documents[ConsistencyEvaluation.linesDocument]?.arrayValue ?? []).enumerated()
            .filter { ($0.element["value"]?.doubleValue ?? 1) < 1 }
            .sorted { a, b in
                let (x, y) = (a.element["value"]?.doubleValue ?? 1, b.element["value"]?.doubleValue ?? 1)
                return x != y ? x < y : a.offset < b.offset
            }
            .prefix(lowestLines)
        if !lines.isEmpty {
            h.append(
                "<h3>Lowest-scoring lines</h3><table><tr><th>line</th><th>metric</th><th>value</th><th>line said</th><th>judge's reason</th></tr>"
            )
            for (_, line) in lines {
                let text = spoken(data, unit: line["unit"]?.stringValue ?? "", seq: Int(line["seq"]?.intValue ?? -1))
                h.append(
                    "<tr><td>\(HTML.escape(line["item"]?.stringValue ?? "")) \(HTML.escape(line["speaker"]?.stringValue ?? ""))</td><td>\(HTML.escape(line["metric"]?.stringValue ?? ""))</td><td>\(format(line["value"]?.doubleValue ?? 0))</td><td>\(HTML.escape(text))</td><td>\(HTML.escape(line["reason"]?.stringValue ?? ""))</td></tr>"
                )
            }
            h.append("</table>")
        }
        return h.joined(separator: "\n")
    }

    /// The text of a stored line (empty when the unit or seq is unknown).
    static func spoken(_ data: RunData, unit: String, seq: Int) -> String {
        guard let index = data.units.first(where: { $0.spec.id == unit })?.spec.index else { return "" }
        return data.events[index]?.first { $0.seq == seq }?.content ?? ""
    }

    /// The Markdown lines of `agora report --format md`: the per-condition means.
    public static func markdown(_ data: RunData) -> [String] {
        guard let summary = results(data) else { return [] }
        let metrics = (summary["metrics"]?.arrayValue ?? []).compactMap(\.stringValue)
        var lines = [
            "", "## Persona consistency (judge \(summary["judge"]?.stringValue ?? ""))", "",
            "| condition | " + metrics.joined(separator: " | ") + " |",
            "|---|" + metrics.map { _ in "---|" }.joined(),
        ]
        for condition in summary["conditions"]?.arrayValue ?? [] {
            let cells = metrics.map { metric -> String in
                let a = condition[metric]
                let mean = a?["mean"]?.doubleValue.map(format) ?? "n/a"
                return mean + (a?["sd"]?.doubleValue.map { " ± \(format($0))" } ?? "")
            }
            lines.append("| \(condition["condition"]?.stringValue ?? "") | " + cells.joined(separator: " | ") + " |")
        }
        return lines
    }
}
