import Evaluation
import Foundation
import HTMLKit
import Runs
import Storage

/// The experiment's outputs built from its `results.json`: `effects.csv`, the report page (forest
/// plot of effects, per-arm distributions side by side, the AMCE plot) and the Markdown summary.
enum ExperimentReport {
    /// One effect with its interval, wherever it appears in the results.
    struct Effect {
        var section: String
        var outcome: String
        var a: String
        var b: String
        var measure: String
        var option: String
        var estimate: Double
        var low: Double
        var high: Double
        var test: String
        var statistic: Double?
        var df: Double?
        var p: Double?
        var pHolm: Double?
    }

    /// Every effect of the results, in document order: pairwise effects and effect sizes, factorial
    /// terms, AMCEs.
    static func effects(_ results: JSONValue) -> [Effect] {
        let experiment = results["experiment"] ?? .null
        var out: [Effect] = []
        for outcome in experiment["outcomes"]?.arrayValue ?? [] {
            let id = outcome["id"]?.stringValue ?? ""
            for c in outcome["comparisons"]?.arrayValue ?? [] {
                let a = c["a"]?.stringValue ?? ""
                let b = c["b"]?.stringValue ?? ""
                let test = c["test"] ?? .null
                var list = c["effects"]?.arrayValue ?? []
                if let single = c["effect"] { list.insert(single, at: 0) }
                for (index, e) in list.enumerated() {
                    guard let estimate = e["estimate"]?.doubleValue else { continue }
                    out.append(
                        Effect(
                            section: "comparison", outcome: id, a: a, b: b,
                            measure: e["measure"]?.stringValue ?? "", option: e["option"]?.stringValue ?? "",
                            estimate: estimate, low: e["low"]?.doubleValue ?? .nan,
                            high: e["high"]?.doubleValue ?? .nan,
                            test: index == 0 ? test["name"]?.stringValue ?? "" : "",
                            statistic: index == 0 ? test["statistic"]?.doubleValue : nil,
                            df: index == 0 ? test["df"]?.doubleValue : nil, p: test["p"]?.doubleValue,
                            pHolm: test["pHolm"]?.doubleValue))
                }
                for e in c["effectSizes"]?.arrayValue ?? [] {
                    guard let estimate = e["estimate"]?.doubleValue else { continue }
                    out.append(
                        Effect(
                            section: "effect size", outcome: id, a: a, b: b, measure: e["name"]?.stringValue ?? "",
                            option: "", estimate: estimate, low: e["low"]?.doubleValue ?? .nan,
                            high: e["high"]?.doubleValue ?? .nan, test: "", statistic: nil, df: nil, p: nil, pHolm: nil)
                    )
                }
            }
        }
        for outcome in experiment["factorial"]?["outcomes"]?.arrayValue ?? [] {
            for term in outcome["terms"]?.arrayValue ?? [] {
                guard let estimate = term["estimate"]?.doubleValue else { continue }
                out.append(
                    Effect(
                        section: "factorial", outcome: outcome["id"]?.stringValue ?? "", a: "", b: "",
                        measure: term["term"]?.stringValue ?? "", option: outcome["response"]?.stringValue ?? "",
                        estimate: estimate, low: term["low"]?.doubleValue ?? .nan,
                        high: term["high"]?.doubleValue ?? .nan, test: "clustered OLS", statistic: nil, df: nil,
                        p: term["p"]?.doubleValue, pHolm: nil))
            }
        }
        for level in experiment["conjoint"]?["amce"]?.arrayValue ?? [] where level["baseline"] == nil {
            guard let estimate = level["estimate"]?.doubleValue else { continue }
            out.append(
                Effect(
                    section: "amce", outcome: "choice", a: "", b: "", measure: level["attribute"]?.stringValue ?? "",
                    option: level["level"]?.stringValue ?? "", estimate: estimate,
                    low: level["low"]?.doubleValue ?? .nan, high: level["high"]?.doubleValue ?? .nan,
                    test: "clustered OLS", statistic: nil, df: nil, p: level["p"]?.doubleValue, pHolm: nil))
        }
        return out
    }

    static func field(_ x: Double?) -> String {
        guard let x, x.isFinite else { return "" }
        return String(format: "%.6f", x)
    }

    /// `effects.csv`: one row per effect.
    static func effectsCSV(_ results: JSONValue) -> String {
        var lines = ["section,outcome,a,b,measure,option,estimate,low,high,test,statistic,df,p,p_holm"]
        for e in effects(results) {
            let text = [e.section, e.outcome, e.a, e.b, e.measure, e.option].map(RunReport.csvField)
            let numbers = [field(e.estimate), field(e.low), field(e.high)]
            let tail = [RunReport.csvField(e.test), field(e.statistic), field(e.df), field(e.p), field(e.pHolm)]
            lines.append((text + numbers + tail).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func label(_ e: Effect) -> String {
        switch e.section {
        case "comparison": [e.outcome, e.option, "\(e.b) − \(e.a)"].filter { !$0.isEmpty }.joined(separator: " · ")
        case "factorial": "\(e.outcome) · \(e.measure)"
        default: "\(e.measure) = \(e.option)"
        }
    }

    /// The report page.
    static func html(_ data: RunData, results: JSONValue) -> String {
        let experiment = results["experiment"] ?? .null
        let title = results["title"]?.stringValue ?? data.manifest.runID
        var h = HTML.head(title: title)
        h.append("<h1>\(HTML.escape(title))</h1>")
        h.append(
            "<p class=\"muted\">experiment (\(HTML.escape(experiment["type"]?.stringValue ?? "")), \(HTML.escape(experiment["assignment"]?.stringValue ?? "")) subjects) · run \(HTML.escape(data.manifest.runID)) · model \(HTML.escape(data.manifest.model)) · seed \(data.manifest.seed)</p>"
        )
        h.append("<h2>Arms</h2><table><tr><th>arm</th><th>n</th></tr>")
        for arm in experiment["arms"]?.arrayValue ?? [] {
            h.append(
                "<tr><td>\(HTML.escape(arm["name"]?.stringValue ?? ""))</td><td>\(HTMLReport.number(arm["n"]))</td></tr>"
            )
        }
        h.append("</table>")
        for warning in experiment["warnings"]?.arrayValue ?? [] {
            h.append("<p class=\"warn\">⚠ \(HTML.escape(warning.stringValue ?? ""))</p>")
        }
        let all = effects(results)
        let comparisons = all.filter { $0.section == "comparison" }
        if !comparisons.isEmpty {
            h.append("<h2>Effects</h2>")
            h.append(
                "<p class=\"muted\">Differences (b − a) with 95% intervals; red: p &lt; 0.05 after Holm's correction across arms and outcomes.</p>"
            )
            h.append(
                SVGChart.forest(
                    comparisons.map {
                        SVGChart.ForestRow(
                            label: label($0), estimate: $0.estimate, low: $0.low, high: $0.high,
                            highlighted: ($0.pHolm ?? 1) < 0.05)
                    }, description: "forest plot of the effects"))
        }
        let factorial = all.filter { $0.section == "factorial" }
        if !factorial.isEmpty {
            h.append("<h2>Factorial effects</h2>")
            h.append(
                "<p class=\"muted\">Main effects and two-way interactions against the first level of each factor.</p>")
            h.append(
                SVGChart.forest(
                    factorial.map {
                        SVGChart.ForestRow(
                            label: label($0), estimate: $0.estimate, low: $0.low, high: $0.high,
                            highlighted: ($0.p ?? 1) < 0.05)
                    }, description: "factorial effects"))
        }
        let amce = all.filter { $0.section == "amce" }
        if !amce.isEmpty {
            h.append("<h2>AMCE</h2>")
            h.append(
                "<p class=\"muted\">Average marginal component effects on the probability of choosing a profile, against each attribute's first level; respondent-clustered 95% intervals.</p>"
            )
            h.append(
                SVGChart.forest(
                    amce.map {
                        SVGChart.ForestRow(
                            label: label($0), estimate: $0.estimate, low: $0.low, high: $0.high,
                            highlighted: ($0.p ?? 1) < 0.05)
                    }, description: "AMCE plot"))
            h.append("<h3>Marginal means</h3>")
            h.append(
                HTMLReport.shareBars(
                    (experiment["conjoint"]?["marginalMeans"]?.arrayValue ?? []).map { m in
                        let value = m["estimate"]?.doubleValue ?? 0
                        return (
                            "\(m["attribute"]?.stringValue ?? "") = \(m["level"]?.stringValue ?? "")", value,
                            String(format: "%.3f", value),
                            (max(0, m["low"]?.doubleValue ?? 0), min(1, m["high"]?.doubleValue ?? 0))
                        )
                    }))
        }
        for outcome in experiment["outcomes"]?.arrayValue ?? [] {
            h.append("<h2>\(HTML.escape(outcome["id"]?.stringValue ?? ""))</h2>")
            h.append(distributions(outcome))
            if let omnibus = outcome["omnibus"] {
                h.append(
                    "<p>\(HTML.escape(omnibus["name"]?.stringValue ?? "")) = \(HTMLReport.number(omnibus["statistic"])), p = \(HTMLReport.number(omnibus["p"]))</p>"
                )
            }
            h.append(
                "<table><tr><th>b − a</th><th>effect [95% CI]</th><th>test</th><th>p</th><th>p (Holm)</th><th>MDE</th></tr>"
            )
            for c in outcome["comparisons"]?.arrayValue ?? [] {
                var list = c["effects"]?.arrayValue ?? []
                if let single = c["effect"] { list.insert(single, at: 0) }
                let effectText = list.map { e in
                    let option = e["option"]?.stringValue.map { "\($0): " } ?? ""
                    return
                        "\(HTML.escape(option))\(HTMLReport.number(e["estimate"])) [\(HTMLReport.number(e["low"])), \(HTMLReport.number(e["high"]))]"
                }.joined(separator: "<br>")
                h.append(
                    "<tr><td>\(HTML.escape(c["b"]?.stringValue ?? "")) − \(HTML.escape(c["a"]?.stringValue ?? ""))</td><td>\(effectText)</td><td>\(HTML.escape(c["test"]?["name"]?.stringValue ?? ""))</td><td>\(HTMLReport.number(c["test"]?["p"]))</td><td>\(HTMLReport.number(c["test"]?["pHolm"]))</td><td>\(HTMLReport.number(c["mde"]))</td></tr>"
                )
            }
            h.append("</table>")
        }
        h.append(ConsistencyReport.htmlSection(data))
        h.append(HTMLReport.costSection(results["usage"] ?? .null))
        h.append(HTMLReport.transcriptSection(data))
        h.append(HTMLReport.foot(data))
        return h.joined(separator: "\n")
    }

    static let palette = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#eeca3b", "#9d755d"]

    /// Per-arm distributions side by side: one row per answer, one bar per arm.
    static func distributions(_ outcome: JSONValue) -> String {
        let arms = outcome["arms"]?.arrayValue ?? []
        var labels: [String] = []
        var shares: [[String: (Double, (Double, Double)?)]] = []
        for arm in arms {
            var row: [String: (Double, (Double, Double)?)] = [:]
            if let list = arm["shares"]?.arrayValue {
                for s in list {
                    let label = s["option"]?.stringValue ?? ""
                    if !labels.contains(label) { labels.append(label) }
                    row[label] = (
                        s["share"]?.doubleValue ?? 0, (s["low"]?.doubleValue ?? 0, s["high"]?.doubleValue ?? 0)
                    )
                }
            } else {
                let n = Double(arm["n"]?.intValue ?? 0)
                for d in arm["distribution"]?.arrayValue ?? [] {
                    let label = RunReport.text(of: d["value"] ?? .null)
                    if !labels.contains(label) { labels.append(label) }
                    row[label] = (n > 0 ? Double(d["count"]?.intValue ?? 0) / n : 0, nil)
                }
            }
            shares.append(row)
        }
        let legend = arms.enumerated().map { a, arm in
            "<span style=\"color:\(palette[a % palette.count])\">■</span> \(HTML.escape(arm["arm"]?.stringValue ?? "")) (n = \(HTMLReport.number(arm["n"])))\(arm["mean"].map { ", mean \(HTMLReport.number($0))" } ?? "")"
        }.joined(separator: " &nbsp; ")
        let rows = labels.map { label in
            SVGChart.Row(
                label: label,
                bars: shares.enumerated().map { a, row in
                    let (share, interval) = row[label] ?? (0, nil)
                    return SVGChart.Bar(
                        share: share, color: palette[a % palette.count],
                        tooltip: "\(arms[a]["arm"]?.stringValue ?? ""): \(String(format: "%.1f", share * 100))%",
                        interval: interval)
                }, note: shares.map { String(format: "%.0f%%", ($0[label]?.0 ?? 0) * 100) }.joined(separator: " / "))
        }
        return "<p>\(legend)</p>" + SVGChart.bars(rows, description: "answers per arm")
    }

    /// The Markdown summary: one line per pairwise effect.
    static func markdown(_ results: JSONValue) -> String {
        var lines: [String] = []
        for e in effects(results) where e.section != "effect size" {
            var line =
                "- \(label(e)): \(String(format: "%+.3f", e.estimate)) [\(field(e.low).prefix(8)), \(field(e.high).prefix(8))]"
            if let p = e.p { line += ", p = \(String(format: "%.4f", p))" }
            if let p = e.pHolm { line += " (Holm \(String(format: "%.4f", p)))" }
            lines.append(line)
        }
        for warning in results["experiment"]?["warnings"]?.arrayValue ?? [] {
            lines.append("- warning: \(warning.stringValue ?? "")")
        }
        return lines.joined(separator: "\n")
    }
}
