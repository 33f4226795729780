import Foundation
public import Storage

/// The building blocks of every `report.html` (one self-contained page: inline CSS and SVG, no
/// script, no network): escaping, the page head and foot, SVG bar and line charts, result tables,
/// browsable transcripts, the population and cost sections. Each kind assembles its page from them.
public enum HTMLReport {
    public static func escape(_ text: String) -> String {
        // Most texts hold none of the four characters: return them as they are. Otherwise, when each
        // of them stands between ASCII bytes (so it is a Character of its own, never part of a
        // cluster with a combining mark), a byte replacement gives what the Character loop gives.
        switch replacingIsolatedASCII(
            text, isTarget: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 },
            with: {
                switch $0 {
                case 0x26: "&amp;"
                case 0x3C: "&lt;"
                case 0x3E: "&gt;"
                default: "&quot;"
                }
            })
        {
        case .unchanged: return text
        case .replaced(let result): return result
        case .needsCharacters: break
        }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(ch)
            }
        }
        return out
    }

    /// `text` with each "\n" as `<br>`: by bytes when every "\n" stands between ASCII bytes other than
    /// CR (what Foundation's search matches there), by Foundation otherwise.
    public static func lineBreaks(_ text: String) -> String {
        switch replacingIsolatedASCII(text, isTarget: { $0 == 0x0A }, with: { _ in "<br>" }, avoidingBefore: 0x0D) {
        case .unchanged: return text
        case .replaced(let result): return result
        case .needsCharacters: return text.replacingOccurrences(of: "\n", with: "<br>")
        }
    }

    public enum Replacement {
        case unchanged
        case replaced(String)
        case needsCharacters
    }

    /// Replaces ASCII target bytes, provided each one's neighbours are ASCII bytes (so it is a whole
    /// Character and a whole UTF-16 unit match); `avoidingBefore` excludes one preceding byte (CR).
    public static func replacingIsolatedASCII(
        _ text: String, isTarget: (UInt8) -> Bool, with replacement: (UInt8) -> StaticString,
        avoidingBefore excluded: UInt8? = nil
    ) -> Replacement {
        var copy = text
        return copy.withUTF8 { source -> Replacement in
            var first: Int?
            for index in source.indices where isTarget(source[index]) {
                if index > 0, source[index - 1] >= 0x80 || source[index - 1] == excluded { return .needsCharacters }
                if index + 1 < source.count, source[index + 1] >= 0x80 { return .needsCharacters }
                if first == nil { first = index }
            }
            guard let first else { return .unchanged }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(source.count + 64)
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: source[0..<first]))
            for byte in source[first...] {
                if isTarget(byte) {
                    let piece = replacement(byte)
                    bytes.append(
                        contentsOf: UnsafeBufferPointer(start: piece.utf8Start, count: piece.utf8CodeUnitCount))
                } else {
                    bytes.append(byte)
                }
            }
            return .replaced(String(decoding: bytes, as: UTF8.self))
        }
    }

    public static func number(_ value: JSONValue?) -> String {
        guard let value else { return "" }
        if case .number(let x) = value { return String(format: "%.3f", x) }
        return RunReport.text(of: value)
    }

    /// The most transcripts shown in full (the rest are in transcripts.jsonl).
    public static let transcriptLimit = 100

    /// The document head (inline CSS) and the opening of the body.
    public static func head(title: String) -> [String] {
        var h: [String] = []
        h.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
        h.append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        h.append("<title>\(escape(title)) — Agora report</title>")
        h.append(
            """
            <style>
            body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
            h1{margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
            table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
            th{background:#f4f4f4}.muted{color:#666}.item{margin:1.2em 0}details{margin:.3em 0}summary{cursor:pointer}
            .ev{margin:.2em 0 .2em 1em}.sp{font-weight:600}.failed{color:#b00}svg text{font-size:12px;font-family:inherit}
            </style></head><body>
            """)
        return h
    }

    /// The closing note and the end of the document.
    public static func foot(_ data: RunData) -> String {
        "<p class=\"muted\">Written by Agora from the run store; rebuild with <code>agora report \(escape(data.manifest.runID))</code>.</p>\n</body></html>"
    }

    /// The population: how many personas, and bars of the values of their first 8 categorical attributes.
    public static func populationSection(_ data: RunData) -> String {
        let attributes = data.personas.map { $0.json["attributes"]?.objectValue ?? JSONObject() }
        var h = ["<h2>Population</h2>", "<p>\(attributes.count) personas.</p>"]
        var keys: [String] = []
        for persona in attributes {
            for key in persona.keys where !keys.contains(key) && key != "name" { keys.append(key) }
        }
        let shown = Array(keys.prefix(8))
        for key in shown {
            var counts: [String: Int] = [:]
            for persona in attributes {
                let value = persona[key] ?? .null
                counts[value == .null ? "(missing)" : (value.stringValue ?? CanonicalJSON.string(value)), default: 0] +=
                    1
            }
            let sorted = counts.keys.sorted { (counts[$0] ?? 0, $1) > (counts[$1] ?? 0, $0) }
            if sorted.count > 12 && sorted.count > attributes.count / 2 { continue }  // free text, not categories
            h.append("<details><summary>\(escape(key)) (\(sorted.count) values)</summary>")
            h.append(bars(sorted.prefix(15).map { ($0, counts[$0] ?? 0, nil) }, total: attributes.count))
            h.append("</details>")
        }
        if keys.count > shown.count {
            h.append("<p class=\"muted\">\(keys.count - shown.count) more attributes in the persona data.</p>")
        }
        return h.joined(separator: "\n")
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
    /// as inline SVG.
    public static func shareBars(_ rows: [(label: String, share: Double, note: String, ci: (Double, Double)?)])
        -> String
    {
        let width = 640.0
        let labelWidth = 220.0
        let barArea = width - labelWidth - 90
        let rowHeight = 22.0
        var s =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(Double(rows.count) * rowHeight + 6))\" role=\"img\">"
        for (index, row) in rows.enumerated() {
            let y = Double(index) * rowHeight + 3
            let w = barArea * min(1, max(0, row.share))
            let label = row.label.count > 34 ? String(row.label.prefix(33)) + "…" : row.label
            s += "<text x=\"0\" y=\"\(f(y + 14))\">\(escape(label))</text>"
            s += "<rect x=\"\(f(labelWidth))\" y=\"\(f(y + 3))\" width=\"\(f(w))\" height=\"14\" fill=\"#4c78a8\"/>"
            if let ci = row.ci {
                let x1 = labelWidth + barArea * ci.0
                let x2 = labelWidth + barArea * ci.1
                s +=
                    "<line x1=\"\(f(x1))\" x2=\"\(f(x2))\" y1=\"\(f(y + 10))\" y2=\"\(f(y + 10))\" stroke=\"#222\" stroke-width=\"1.5\"/>"
            }
            s += "<text x=\"\(f(labelWidth + barArea + 6))\" y=\"\(f(y + 14))\">\(escape(row.note))</text>"
        }
        return s + "</svg>"
    }

    /// A line chart of series with values in [0, 1] over labelled x positions, as inline SVG: grid
    /// lines at 0, 0.5 and 1, one polyline and one dot (with its value as a tooltip) per point, and a
    /// legend on the right.
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
                "<line x1=\"\(f(left))\" x2=\"\(f(left + plotWidth))\" y1=\"\(f(y(tick)))\" y2=\"\(f(y(tick)))\" stroke=\"#ddd\"/>"
            s += "<text x=\"0\" y=\"\(f(y(tick) + 4))\">\(String(format: "%.1f", tick))</text>"
        }
        for (i, label) in xLabels.enumerated() {
            s += "<text x=\"\(f(x(i) - 12))\" y=\"\(f(height - 8))\">\(escape(label))</text>"
        }
        for (index, line) in series.enumerated() {
            let points = line.values.prefix(n).enumerated().map { "\(f(x($0.offset))),\(f(y($0.element)))" }
            s +=
                "<polyline fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>"
            for (i, v) in line.values.prefix(n).enumerated() {
                s +=
                    "<circle cx=\"\(f(x(i)))\" cy=\"\(f(y(v)))\" r=\"3\" fill=\"\(line.color)\"><title>\(escape(line.name)) k=\(i + 1): \(String(format: "%.3f", v))</title></circle>"
            }
            let legendY = top + 14 + Double(index) * 18
            s +=
                "<rect x=\"\(f(width - right + 12))\" y=\"\(f(legendY - 9))\" width=\"10\" height=\"10\" fill=\"\(line.color)\"/>"
            s += "<text x=\"\(f(width - right + 28))\" y=\"\(f(legendY))\">\(escape(line.name))</text>"
        }
        return s + "</svg>"
    }

    public static func f(_ x: Double) -> String { String(format: "%.1f", x) }

    public static func resultBlock(_ value: JSONValue) -> String {
        switch value {
        case .object(let o):
            var h = "<table>"
            for (key, v) in o { h += "<tr><th>\(escape(key))</th><td>\(resultBlock(v))</td></tr>" }
            return h + "</table>"
        case .array(let items):
            return "<ul>" + items.map { "<li>\(resultBlock($0))</li>" }.joined() + "</ul>"
        default:
            return escape(RunReport.text(of: value))
        }
    }

    public static func transcriptSection(_ data: RunData) -> String {
        let done = data.doneUnits
        var h = ["<h2>Transcripts</h2>"]
        if done.count > transcriptLimit {
            h.append(
                "<p class=\"muted\">The first \(transcriptLimit) of \(done.count); all are in transcripts.jsonl.</p>")
        }
        for unit in done.prefix(transcriptLimit) {
            let events = data.events[unit.spec.index] ?? []
            h.append(
                "<details><summary>\(escape(unit.spec.id)) · \(events.count) events · \(escape(unit.result["termination"]?.stringValue ?? ""))</summary>"
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
                    failed.map { "<span class=\"failed\">failed: \(escape($0))</span>" }
                    ?? lineBreaks(escape(text))
                h.append("<div class=\"ev\"><span class=\"sp\">\(escape(who)):</span> \(body)</div>")
            }
            h.append("</details>")
        }
        return h.joined(separator: "\n")
    }

    public static func costSection(_ usage: JSONValue) -> String {
        var h = [
            "<h2>Cost</h2><table><tr><th>model</th><th>calls</th><th>prompt tokens</th><th>completion tokens</th></tr>"
        ]
        for model in usage["models"]?.arrayValue ?? [] {
            h.append(
                "<tr><td>\(escape(model["model"]?.stringValue ?? ""))</td><td>\(number(model["calls"]))</td><td>\(number(model["promptTokens"]))</td><td>\(number(model["completionTokens"]))</td></tr>"
            )
        }
        h.append("</table>")
        let cost = usage["cost"]
        h.append("<p>Cost: \(cost == nil || cost == .null ? "unknown (no price for this model)" : number(cost))</p>")
        return h.joined(separator: "\n")
    }
}
