import Foundation
import HTMLKit
import Runs
import Storage

/// fidelity.csv, the report page and the Markdown summary, all from results.json's `fidelity`.
enum FidelityReport {
    static func value(_ figure: JSONValue?) -> String {
        guard let x = figure?["value"]?.doubleValue else { return "" }
        return String(format: "%.6g", x)
    }

    static func bound(_ figure: JSONValue?, _ key: String) -> String {
        guard let x = figure?[key]?.doubleValue else { return "" }
        return String(format: "%.6g", x)
    }

    /// One row per (question, group): every metric with its interval and n; `everyone` first.
    static func csv(_ fidelity: JSONValue) -> String {
        let names = FidelityResults.questionFigures.map(\.1)
        var header = ["question", "attribute", "group", "n"]
        for name in names { header += [name, "\(name)_low", "\(name)_high", "\(name)_n"] }
        var lines = [header.joined(separator: ",")]
        func row(_ question: JSONValue, attribute: String, group: String) {
            var cells = [
                question["id"]?.stringValue ?? "", attribute, group,
                question["n"]?.intValue.map { String($0) } ?? "",
            ]
            for name in names {
                let figure = question[name]
                cells += [
                    value(figure), bound(figure, "low"), bound(figure, "high"),
                    figure?["n"]?.intValue.map { String($0) } ?? "",
                ]
            }
            lines.append(cells.map(RunReport.csvField).joined(separator: ","))
        }
        for question in fidelity["questions"]?.arrayValue ?? [] { row(question, attribute: "", group: "everyone") }
        for attribute in fidelity["subgroups"]?.arrayValue ?? [] {
            let name = attribute["attribute"]?.stringValue ?? ""
            for group in attribute["groups"]?.arrayValue ?? [] {
                for question in group["questions"]?.arrayValue ?? [] {
                    row(question, attribute: name, group: group["label"]?.stringValue ?? "")
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func cell(_ figure: JSONValue?) -> String {
        guard let x = figure?["value"]?.doubleValue else { return "<td class=\"muted\">null</td>" }
        var text = String(format: "%.3f", x)
        if let lo = figure?["low"]?.doubleValue, let hi = figure?["high"]?.doubleValue {
            text += String(format: " <span class=\"muted\">[%.3f, %.3f]</span>", lo, hi)
        }
        return "<td>\(text)</td>"
    }

    /// The overall table: the simulation next to the reference points.
    static func overallTable(_ fidelity: JSONValue) -> String {
        var h = [
            "<table><tr><th></th><th>representativeness</th><th>ordinal</th><th>nominal</th><th>SimBench score</th><th>TVD</th><th>accuracy</th><th>ordinal error</th><th>n</th></tr>"
        ]
        var rows: [(String, JSONValue)] = []
        if let overall = fidelity["overall"] { rows.append(("<strong>simulation</strong>", overall)) }
        for (name, label) in [
            ("uniform", "uniform guess"), ("majority", "majority answer"),
            ("demographic", "demographic baseline (2-fold)"), ("splitHalf", "human split-half ceiling"),
        ] {
            if let o = fidelity["referencePoints"]?[name]?["overall"] { rows.append((label, o)) }
        }
        for (label, o) in rows {
            let rep = o["representativeness"]
            h.append(
                "<tr><th>\(label)</th>\(cell(rep?["all"]))\(cell(rep?["ordinal"]))\(cell(rep?["nominal"]))\(cell(o["simbench"]))\(cell(o["tvd"]))\(cell(o["accuracy"]))\(cell(o["ordinalError"]))<td>\(HTMLReport.number(o["n"]))</td></tr>"
            )
        }
        h.append("</table>")
        return h.joined(separator: "\n")
    }

    /// Per question: the human and simulated shares side by side.
    static func questionSection(_ question: JSONValue) -> String {
        let options = question["options"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let human = question["humanShares"]?.arrayValue?.map { $0.doubleValue ?? 0 } ?? []
        let simulated = question["simulatedShares"]?.arrayValue?.map { $0.doubleValue ?? 0 }
        var rows: [SVGChart.Row] = []
        for (k, label) in options.enumerated() {
            var bars = [
                SVGChart.Bar(
                    share: k < human.count ? human[k] : 0, color: "#888888",
                    tooltip: String(format: "people %.1f%%", (k < human.count ? human[k] : 0) * 100))
            ]
            var note = String(format: "people %.0f%%", (k < human.count ? human[k] : 0) * 100)
            if let simulated, k < simulated.count {
                bars.append(
                    SVGChart.Bar(
                        share: simulated[k], color: "#4c78a8",
                        tooltip: String(format: "simulated %.1f%%", simulated[k] * 100)))
                note += String(format: " · sim %.0f%%", simulated[k] * 100)
            }
            rows.append(SVGChart.Row(label: label, bars: bars, note: note))
        }
        var h = [
            "<div class=\"item\"><h3>\(HTML.escape(question["id"]?.stringValue ?? "")) · \(HTML.escape(question["text"]?.stringValue ?? ""))</h3>"
        ]
        h.append(
            "<p class=\"muted\">\(HTML.escape(question["scale"]?.stringValue ?? "")) · people n = \(HTMLReport.number(question["n"])) · simulated n = \(HTMLReport.number(question["simulatedN"])) · failed \(HTMLReport.number(question["failed"])) · grey: people, blue: simulated</p>"
        )
        h.append(SVGChart.bars(rows, description: "human and simulated answer shares"))
        h.append(
            "<table><tr><th>TVD</th><th>SimBench score</th><th>ordinal similarity</th><th>accuracy</th><th>ordinal error</th></tr><tr>\(cell(question["tvd"]))\(cell(question["simbench"]))\(cell(question["ordinalSimilarity"]))\(cell(question["accuracy"]))\(cell(question["ordinalError"]))</tr></table></div>"
        )
        return h.joined(separator: "\n")
    }

    /// A heat map of representativeness by attribute group (red low, green high; n in each cell).
    static func heatMap(_ fidelity: JSONValue) -> String {
        var h: [String] = []
        for attribute in fidelity["subgroups"]?.arrayValue ?? [] {
            h.append("<h3>\(HTML.escape(attribute["attribute"]?.stringValue ?? ""))</h3><table><tr>")
            for group in attribute["groups"]?.arrayValue ?? [] {
                let rep = group["overall"]?["representativeness"]?["all"]
                let label = HTML.escape(group["label"]?.stringValue ?? "")
                guard let x = rep?["value"]?.doubleValue else {
                    h.append("<td class=\"muted\">\(label)<br>null<br>n = \(HTMLReport.number(group["n"]))</td>")
                    continue
                }
                // 0.7 or below is full red, 1.0 full green.
                let t = min(1, max(0, (x - 0.7) / 0.3))
                let color = String(format: "rgb(%d,%d,120)", Int(230 * (1 - t)) + 25, Int(200 * t) + 40)
                h.append(
                    "<td style=\"background:\(color);color:#fff\">\(label)<br>\(String(format: "%.3f", x))<br>n = \(HTMLReport.number(group["n"]))</td>"
                )
            }
            h.append("</tr></table>")
            if let worst = attribute["worst"], worst != .null {
                h.append(
                    "<p class=\"muted\">worst group: \(HTML.escape(worst["label"]?.stringValue ?? "")) (\(value(worst["representativeness"])))</p>"
                )
            }
        }
        return h.joined(separator: "\n")
    }

    static func html(_ data: RunData, results: JSONValue) -> String {
        let fidelity = results["fidelity"] ?? .null
        let title = "Fidelity: " + (fidelity["package"]?["title"]?.stringValue ?? data.manifest.runID)
        var h = HTML.head(title: title)
        h.append("<h1>\(HTML.escape(title))</h1>")
        h.append(AnswerQuality.htmlBanner(results["quality"], escape: HTML.escape))
        h.append(
            "<p class=\"muted\">fidelity · run \(HTML.escape(data.manifest.runID)) · model \(HTML.escape(data.manifest.model)) · seed \(data.manifest.seed) · \(HTMLReport.number(fidelity["resamples"])) bootstrap resamples</p>"
        )
        let units = results["units"]
        h.append(
            "<p>Units: \(HTMLReport.number(units?["done"])) done, \(HTMLReport.number(units?["failed"])) failed, \(HTMLReport.number(units?["pending"])) pending, of \(HTMLReport.number(units?["total"])).</p>"
        )
        h.append("<h2>Overall, next to the reference points</h2>")
        h.append(
            "<p class=\"muted\">Read each figure against the rows below it: a simulation should beat the uniform guess and the demographic baseline; the split-half ceiling is the best to expect at this sample size. Brackets are 95% bootstrap intervals.</p>"
        )
        h.append(overallTable(fidelity))
        if let pattern = fidelity["pattern"] {
            h.append(
                "<p>Pattern correspondence (Cramér's V of \(HTMLReport.number(pattern["meanAbsoluteDifference"]?["n"])) question pairs): mean |V<sub>people</sub> − V<sub>sim</sub>| \(value(pattern["meanAbsoluteDifference"])), correlation \(value(pattern["correlation"])).</p>"
            )
        }
        h.append("<h2>Questions</h2>")
        for question in fidelity["questions"]?.arrayValue ?? [] { h.append(questionSection(question)) }
        h.append("<h2>Representativeness by group</h2>")
        h.append(heatMap(fidelity))
        h.append(HTMLReport.transcriptSection(data))
        h.append(HTMLReport.costSection(results["usage"] ?? .null))
        h.append(HTMLReport.foot(data))
        return h.joined(separator: "\n") + "\n"
    }

    static func markdown(_ results: JSONValue) -> String {
        let fidelity = results["fidelity"] ?? .null
        var lines = ["# Fidelity: \(fidelity["package"]?["title"]?.stringValue ?? "")", "", "```"]
        lines += FidelityBaseline.table(fidelity)
        lines.append("```")
        for flag in results["quality"]?["flags"]?.arrayValue ?? [] { lines.append("- flag: \(flag.stringValue ?? "")") }
        return lines.joined(separator: "\n") + "\n"
    }
}
