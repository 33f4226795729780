import Foundation
import HTMLKit
public import Storage

/// The building blocks of every `report.html` (one self-contained page: inline CSS and SVG, no
/// script, no network): the run-specific sections (foot, result tables, browsable transcripts, the
/// population and cost sections) on top of HTMLKit's escaping, page head and SVG charts. Each kind
/// assembles its page from them and from HTMLKit.
public enum HTMLReport {
    /// A number with three decimals, any other value as plain text, nothing for `nil`.
    public static func number(_ value: JSONValue?) -> String {
        guard let value else { return "" }
        if case .number(let x) = value { return String(format: "%.3f", x) }
        return RunReport.text(of: value)
    }

    /// The most transcripts shown in full (the rest are in transcripts.jsonl).
    public static let transcriptLimit = 100

    /// The closing note and the end of the document.
    public static func foot(_ data: RunData) -> String { foot(data.manifest) }

    /// The closing note and the end of the document, for the run of `manifest`.
    public static func foot(_ manifest: RunManifest) -> String {
        "<p class=\"muted\">Written by Agora from the run store; rebuild with <code>agora report \(HTML.escape(manifest.runID))</code>.</p>\n</body></html>"
    }

    /// The population: how many personas, and bars of the values of their first 8 categorical attributes.
    public static func populationSection(_ data: RunData) -> String {
        var summary = PopulationSummary(count: data.personas.count)
        for persona in data.personas { summary.add(persona.json) }
        return summary.html()
    }

    /// Horizontal bars (label, count, 95% interval of the share) as inline SVG.
    public static func bars(_ rows: [(String, Int, (Double, Double)?)], total: Int) -> String {
        shareBars(
            rows.map { row in
                let share = total == 0 ? 0 : Double(row.1) / Double(total)
                return (row.0, share, "\(row.1) (\(String(format: "%.0f", share * 100))%)", row.2)
            })
    }

    /// Horizontal bars of shares in [0, 1] (label, share, the note written after the bar, 95% interval)
    /// as inline SVG: HTMLKit's ``SVGChart/bars(_:description:)`` with one bar per row.
    public static func shareBars(_ rows: [(label: String, share: Double, note: String, ci: (Double, Double)?)])
        -> String
    {
        SVGChart.bars(
            rows.map {
                SVGChart.Row(label: $0.label, bars: [SVGChart.Bar(share: $0.share, interval: $0.ci)], note: $0.note)
            })
    }

    public static func resultBlock(_ value: JSONValue) -> String {
        switch value {
        case .object(let o):
            var h = "<table>"
            for (key, v) in o { h += "<tr><th>\(HTML.escape(key))</th><td>\(resultBlock(v))</td></tr>" }
            return h + "</table>"
        case .array(let items):
            return "<ul>" + items.map { "<li>\(resultBlock($0))</li>" }.joined() + "</ul>"
        default:
            return HTML.escape(RunReport.text(of: value))
        }
    }

    public static func transcriptSection(_ data: RunData) -> String {
        let done = data.doneUnits
        return transcriptSection(
            done.prefix(transcriptLimit).map { ($0, data.events[$0.spec.index] ?? []) }, doneCount: done.count)
    }

    /// The transcripts section from the first ``transcriptLimit`` done units with their events, of
    /// `doneCount` done units.
    public static func transcriptSection(_ shown: [(UnitRecord, [RunEvent])], doneCount: Int) -> String {
        var h = ["<h2>Transcripts</h2>"]
        if doneCount > transcriptLimit {
            h.append(
                "<p class=\"muted\">The first \(transcriptLimit) of \(doneCount); all are in transcripts.jsonl.</p>")
        }
        for (unit, events) in shown.prefix(transcriptLimit) {
            h.append(
                "<details><summary>\(HTML.escape(unit.spec.id)) · \(events.count) events · \(HTML.escape(unit.result["termination"]?.stringValue ?? ""))</summary>"
            )
            for e in events {
                let who = e.speakerName ?? "Narrator"
                let failed = e.data["failed"]?.stringValue
                var text = e.content
                if let tool = e.data["tool"], let name = tool["name"]?.stringValue {
                    // Tool events carry their payload (tool-task episodes): `name(arguments)` / `name → result`.
                    text =
                        e.kind == "toolCall"
                        ? "\(name)(\(tool["arguments"]?.stringValue ?? ""))" : "\(name) → \(e.content)"
                }
                let body =
                    failed.map { "<span class=\"failed\">failed: \(HTML.escape($0))</span>" }
                    ?? HTML.lineBreaks(HTML.escape(text))
                h.append("<div class=\"ev\"><span class=\"sp\">\(HTML.escape(who)):</span> \(body)</div>")
            }
            h.append("</details>")
        }
        return h.joined(separator: "\n")
    }

    public static func costSection(_ usage: JSONValue) -> String {
        var h = [
            "<h2>Cost</h2><table><tr><th>model</th><th>calls</th><th>prompt tokens</th><th>of which cached by the server</th><th>completion tokens</th></tr>"
        ]
        for model in usage["models"]?.arrayValue ?? [] {
            h.append(
                "<tr><td>\(HTML.escape(model["model"]?.stringValue ?? ""))</td><td>\(number(model["calls"]))</td><td>\(number(model["promptTokens"]))</td><td>\(number(model["cachedPromptTokens"] ?? .integer(0)))</td><td>\(number(model["completionTokens"]))</td></tr>"
            )
        }
        h.append("</table>")
        let cost = usage["cost"]
        h.append("<p>Cost: \(cost == nil || cost == .null ? "unknown (no price for this model)" : number(cost))</p>")
        return h.joined(separator: "\n")
    }
}
