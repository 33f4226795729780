import Evaluation
import Foundation
import HTMLKit
import Runs
import Storage

/// The outputs of a tool-task run (`agora tasks run`, `agora run` of a `kind: "tool-tasks"`
/// scenario, `agora report`), each a pure function of the run store: `results.json` (spec §10.8),
/// `episodes.jsonl` (tau2-style lines), `report.md` and the tool-task section of `report.html`.
enum ToolTaskReport {
    /// The manifest kind of tool-task runs.
    static var kind: String { ToolTaskKindLoader.kind }

    /// The domain name: run ids are `tasks-<domain>-<8 hex digits>` (``ToolTaskRunner``).
    static func domainName(_ runID: String) -> String {
        var name = Substring(runID)
        if name.hasPrefix("tasks-") { name = name.dropFirst(6) }
        if let dash = name.lastIndex(of: "-"), name.distance(from: dash, to: name.endIndex) == 9 {
            name = name[..<dash]
        }
        return String(name)
    }

    /// The files of a tool-task run, in the order written.
    static func outputs(_ data: RunData, results: JSONValue) -> [RunOutput] {
        var files = [
            RunOutput("transcripts.jsonl", RunReport.transcripts(data) { $0 }),  // speakers are `agent` and `user`
            RunOutput("episodes.jsonl", episodesJSONL(data)),
            RunOutput("results.json", results.serialized(pretty: true) + "\n"),
            RunOutput("report.md", markdown(data, results: results)),
            RunOutput("report.html", html(data, results: results)),
        ]
        // An evaluated run (`agora evaluate`) also has its judged lines.
        if let lines = ConsistencyReport.linesOutput(data) { files.insert(lines, at: 2) }
        return files
    }

    /// `agora report --format`.
    static func report(_ data: RunData, results: JSONValue, format: ReportFormat) -> String {
        switch format {
        case .html: html(data, results: results)
        case .json: results.serialized(pretty: true) + "\n"
        case .md: markdown(data, results: results)
        }
    }

    /// `report.md`: ``markdown(_:)`` and, for an evaluated run, the persona-consistency table.
    static func markdown(_ data: RunData, results: JSONValue) -> String {
        let consistency = ConsistencyReport.markdown(data)
        return markdown(results) + (consistency.isEmpty ? "" : consistency.joined(separator: "\n") + "\n")
    }

    // MARK: results.json

    /// `{kind, runID, domain, config, unitsTotal, unitsDone, summary, trials}`: the trials are the
    /// done units' results in unit order; failed units count as infrastructure errors. An evaluated
    /// run (`agora evaluate`) also has `consistency`.
    static func results(_ data: RunData) -> JSONValue {
        let units = data.units
        var records: [TrialRecord] = []
        var trials: [JSONValue] = []
        for unit in units where unit.status == .done {
            let r = unit.result
            trials.append(r)
            records.append(
                TrialRecord(
                    taskID: r["task"]?.stringValue ?? "", trial: Int(r["trial"]?.intValue ?? 0),
                    personaID: r["persona"]?.stringValue,
                    personaLevels: r["levels"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                    splits: r["splits"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                    termination: EpisodeTermination(rawValue: r["termination"]?.stringValue ?? "") ?? .infraError,
                    reward: r["reward"]?.doubleValue ?? 0, needsJudge: r["eval"]?["needsJudge"]?.boolValue ?? false,
                    toolCalls: Int(r["toolCalls"]?.intValue ?? 0), toolErrors: Int(r["toolErrors"]?.intValue ?? 0)))
        }
        for unit in units where unit.status == .failed {
            records.append(
                TrialRecord(
                    taskID: unit.spec.input["task"]?.stringValue ?? "", trial: 0, termination: .infraError, reward: 0))
        }
        // `summary.byPersonaAttribute` when the run names persona attributes (`splitBy`).
        // `consistency` once `agora evaluate` judged the run.
        let results = ToolTaskRunner.addingAttributeBreakdown(
            .object(
                JSONObject([
                    ("kind", .string(kind)), ("runID", .string(data.manifest.runID)),
                    ("domain", .string(domainName(data.manifest.runID))),
                    ("config", data.manifest.document), ("unitsTotal", .integer(Int64(units.count))),
                    ("unitsDone", .integer(Int64(units.filter { $0.status == .done }.count))),
                    ("summary", PassMetrics.summary(records)),
                    ("trials", .array(trials)),
                ])))
        return ConsistencyReport.adding(to: results, data)
    }

    // MARK: episodes.jsonl

    /// The tau2-style transcripts (`{turn, role, content | tool_calls | tool_result, side, error, ts,
    /// unit}`, spec §10.7), one line per entry, units in index order: the `tau2` entry each stored
    /// event carries.
    static func episodesJSONL(_ data: RunData) -> String {
        var out = ""
        for unit in data.events.keys.sorted() {
            let id = data.units.first { $0.spec.index == unit }?.spec.id ?? String(unit)
            for event in data.events[unit] ?? [] {
                // Runs stored before the Memory log kept one `tool-task.<role>` event per entry, the entry as data.
                let entry = event.kind.hasPrefix("tool-task.") ? event.data : (event.data["tau2"] ?? .null)
                guard case .object(var o) = entry else { continue }
                o["unit"] = .string(id)
                out += JSONValue.object(o).serialized() + "\n"
            }
        }
        return out
    }

    // MARK: report.md

    static func f3(_ x: Double?) -> String { String(format: "%.3f", x ?? 0) }

    /// The Markdown report: pass^k table and curve, per-persona pass rates, terminations, failing
    /// trials with their state diff.
    static func markdown(_ results: JSONValue) -> String {
        let summary = results["summary"] ?? .null
        var md = "# Tool tasks: \(results["domain"]?.stringValue ?? "")\n\n"
        md +=
            "Run `\(results["runID"]?.stringValue ?? "")` · agent `\(results["config"]?["agent"]?.stringValue ?? "")` · user `\(results["config"]?["user"]?.stringValue ?? "")`\n\n"
        let curve = (summary["passHat"]?.arrayValue ?? []).compactMap(\.doubleValue)
        let at = (summary["passAt"]?.arrayValue ?? []).compactMap(\.doubleValue)
        md += "## pass^k\n\n| k | pass^k | pass@k |\n|---|---|---|\n"
        for (i, v) in curve.enumerated() { md += "| \(i + 1) | \(f3(v)) | \(f3(i < at.count ? at[i] : 0)) |\n" }
        if !curve.isEmpty { md += "\n" + passCurve(curve, at) + "\n" }
        md += "\n## By persona\n\n| persona | trials | pass rate |\n|---|---|---|\n"
        for p in summary["byPersona"]?.arrayValue ?? [] {
            let rate = p["passRate"]?.doubleValue ?? 0
            md +=
                "| \(p["key"]?.stringValue ?? "") | \(p["trials"]?.intValue ?? 0) | \(String(repeating: "█", count: Int((rate * 20).rounded()))) \(String(format: "%.2f", rate)) |\n"
        }
        md += "\n## By persona axis level\n\n| level | trials | pass rate |\n|---|---|---|\n"
        for p in summary["byPersonaLevel"]?.arrayValue ?? [] {
            md +=
                "| \(p["key"]?.stringValue ?? "") | \(p["trials"]?.intValue ?? 0) | \(String(format: "%.2f", p["passRate"]?.doubleValue ?? 0)) |\n"
        }
        md += "\n## By termination\n\n"
        for p in summary["byTermination"]?.arrayValue ?? [] {
            md += "- \(p["key"]?.stringValue ?? ""): \(p["trials"]?.intValue ?? 0)\n"
        }
        md += "\n## Failing trials\n\n"
        for t in results["trials"]?.arrayValue ?? [] where t["passed"]?.boolValue != true {
            md +=
                "### \(t["unit"]?.stringValue ?? "") — reward \(t["reward"]?.doubleValue ?? 0), \(t["termination"]?.stringValue ?? "")\n\n"
            for c in t["eval"]?["db"]?["diff"]?.arrayValue ?? [] {
                md +=
                    "- `\(c["table"]?.stringValue ?? "") \(c["key"]?.stringValue ?? "")` \(c["kind"]?.stringValue ?? ""): "
                md +=
                    (c["columns"]?.arrayValue ?? []).map {
                        "\($0["column"]?.stringValue ?? "") \(($0["before"] ?? .null).serialized()) → \(($0["after"] ?? .null).serialized())"
                    }
                    .joined(separator: "; ") + "\n"
            }
            md += "\n"
        }
        // Per-attribute tables (`splitBy`) and NL assertions a judge did not find met.
        return md + ToolTaskRunner.judgeAndPopulationMarkdown(results)
    }

    /// The pass^k (and pass@k) curve for k = 1…n as inline SVG.
    static func passCurve(_ passHat: [Double], _ passAt: [Double]) -> String {
        SVGChart.lineChart(
            [("pass^k", passHat, "#4c78a8"), ("pass@k", passAt, "#f58518")],
            xLabels: passHat.indices.map { "k=\($0 + 1)" })
    }

    // MARK: report.html

    /// The whole page of a tool-task run: header, the tool-task section, transcripts, cost.
    static func html(_ data: RunData, results: JSONValue) -> String {
        let e = HTML.escape
        let title = "Tool tasks: \(results["domain"]?.stringValue ?? "")"
        var h = HTML.head(title: title)
        h.append("<h1>\(e(title))</h1>")
        let config = results["config"] ?? .null
        h.append(
            "<p class=\"muted\">\(e(data.manifest.kind)) · run \(e(data.manifest.runID)) · agent \(e(config["agent"]?.stringValue ?? "")) · user \(e(config["user"]?.stringValue ?? "")) · seed \(data.manifest.seed) · digest \(e(String(data.manifest.digest.prefix(16))))…</p>"
        )
        let count = { (status: UnitStatus) in data.units.filter { $0.status == status }.count }
        h.append(
            "<p>Units: \(count(.done)) done, \(count(.failed)) failed, \(count(.pending)) pending, of \(data.units.count).</p>"
        )
        h.append(section(results))
        let consistency = ConsistencyReport.htmlSection(data)
        if !consistency.isEmpty { h.append(consistency) }
        h.append(HTMLReport.transcriptSection(data))
        h.append(HTMLReport.costSection(RunReport.usage(data)))
        h.append(HTMLReport.foot(data))
        return h.joined(separator: "\n") + "\n"
    }

    /// The most failing trials shown with their breakdown (the rest are in results.json).
    static let failingLimit = 100

    /// The tool-task section: pass^k curve and table, pass^1 per persona policy, axis level and
    /// split, termination reasons, flaky tasks, and each failing task's trials with their reward
    /// basis breakdown and row-level state diff.
    static func section(_ results: JSONValue) -> String {
        let e = HTML.escape
        let summary = results["summary"] ?? .null
        var h = ["<h2 id=\"tool-tasks\">Tool tasks</h2>"]
        h.append(
            "<p>\(summary["trials"]?.intValue ?? 0) trials of \(summary["tasks"]?.intValue ?? 0) tasks · avg reward \(f3(summary["avgReward"]?.doubleValue)) · tool error rate \(f3(summary["toolErrorRate"]?.doubleValue)) · infrastructure errors excluded \(summary["infraErrorsExcluded"]?.intValue ?? 0)</p>"
        )
        let curve = (summary["passHat"]?.arrayValue ?? []).compactMap(\.doubleValue)
        let at = (summary["passAt"]?.arrayValue ?? []).compactMap(\.doubleValue)
        h.append("<h3>pass^k</h3>")
        if !curve.isEmpty { h.append(passCurve(curve, at)) }
        h.append("<table><tr><th>k</th><th>pass^k</th><th>pass@k</th></tr>")
        for (i, v) in curve.enumerated() {
            h.append("<tr><td>\(i + 1)</td><td>\(f3(v))</td><td>\(f3(i < at.count ? at[i] : 0))</td></tr>")
        }
        h.append("</table>")
        for (key, heading) in [
            ("byPersona", "pass^1 by persona policy"), ("byPersonaLevel", "pass^1 by persona axis level"),
            ("bySplit", "pass^1 by split"),
        ] {
            let groups = summary[key]?.arrayValue ?? []
            guard !groups.isEmpty else { continue }
            h.append("<h3>\(e(heading))</h3>")
            h.append(
                groupBars(groups))
        }
        for attribute in summary["byPersonaAttribute"]?.arrayValue ?? [] {
            let groups = attribute["groups"]?.arrayValue ?? []
            guard !groups.isEmpty else { continue }
            h.append("<h3>pass^1 by user persona attribute \(e(attribute["attribute"]?.stringValue ?? ""))</h3>")
            h.append(
                groupBars(groups))
        }
        let terminations = summary["byTermination"]?.arrayValue ?? []
        if !terminations.isEmpty {
            h.append("<h3>Termination reasons</h3>")
            h.append(
                HTMLReport.bars(
                    terminations.map { ($0["key"]?.stringValue ?? "", Int($0["trials"]?.intValue ?? 0), nil) },
                    total: Int(summary["trials"]?.intValue ?? 0)))
        }
        for (key, heading) in [
            ("flakyTasks", "Flaky tasks (some trials pass, some fail)"), ("needsJudge", "Tasks that need a judge"),
        ] {
            let ids = (summary[key]?.arrayValue ?? []).compactMap(\.stringValue)
            if !ids.isEmpty { h.append("<p>\(e(heading)): \(ids.map(e).joined(separator: ", "))</p>") }
        }
        h.append(failingSection(results["trials"]?.arrayValue ?? []))
        return h.joined(separator: "\n")
    }

    /// Pass-rate bars of breakdown groups (`{key, trials, passed, passRate}`).
    static func groupBars(_ groups: [JSONValue]) -> String {
        HTMLReport.shareBars(
            groups.map { g in
                let passed = Int(g["passed"]?.intValue ?? 0)
                let n = Int(g["trials"]?.intValue ?? 0)
                return (
                    g["key"]?.stringValue ?? "", g["passRate"]?.doubleValue ?? 0,
                    "\(passed)/\(n) · \(f3(g["passRate"]?.doubleValue))", nil
                )
            })
    }

    static func failingSection(_ trials: [JSONValue]) -> String {
        let e = HTML.escape
        var order: [String] = []
        var byTask: [String: (n: Int, failing: [JSONValue])] = [:]
        for t in trials {
            let id = t["task"]?.stringValue ?? ""
            if byTask[id] == nil { order.append(id) }
            byTask[id, default: (0, [])].n += 1
            if t["passed"]?.boolValue != true { byTask[id, default: (0, [])].failing.append(t) }
        }
        let failingTasks = order.filter { !(byTask[$0]?.failing.isEmpty ?? true) }
        var h = ["<h3>Failing tasks</h3>"]
        if failingTasks.isEmpty {
            h.append("<p>Every trial passed.</p>")
            return h.joined(separator: "\n")
        }
        var shown = 0
        for id in failingTasks {
            let entry = byTask[id] ?? (0, [])
            h.append("<h4>\(e(id)) · \(entry.failing.count) of \(entry.n) trials failed</h4>")
            for t in entry.failing {
                guard shown < failingLimit else { break }
                shown += 1
                h.append(failingTrial(t))
            }
        }
        if shown < failingTasks.reduce(0, { $0 + (byTask[$1]?.failing.count ?? 0) }) {
            h.append("<p class=\"muted\">The first \(failingLimit) failing trials; all are in results.json.</p>")
        }
        return h.joined(separator: "\n")
    }

    /// One failing trial: the basis breakdown (component scores and what was not met) and the diff.
    static func failingTrial(_ t: JSONValue) -> String {
        let e = HTML.escape
        let eval = t["eval"] ?? .null
        var h = [
            "<div class=\"item\"><p><b>\(e(t["unit"]?.stringValue ?? ""))</b> · reward \(f3(t["reward"]?.doubleValue)) · termination \(e(t["termination"]?.stringValue ?? ""))\((t["failure"]?.stringValue).map { " · " + e($0) } ?? "")</p>"
        ]
        h.append("<table><tr><th>basis component</th><th>score</th></tr>")
        for c in eval["components"]?.arrayValue ?? [] {
            let score = c["score"].flatMap(\.doubleValue).map(f3) ?? (c["score"]?.stringValue ?? "")
            h.append("<tr><td>\(e(c["name"]?.stringValue ?? ""))</td><td>\(e(score))</td></tr>")
        }
        h.append("</table>")
        var unmet: [String] = []
        for c in eval["communicate"]?.arrayValue ?? [] where c["met"]?.boolValue == false {
            unmet.append("not communicated: " + (c["info"]?.stringValue ?? ""))
        }
        for a in eval["actions"]?.arrayValue ?? [] where a["matched"]?.boolValue == false {
            unmet.append("action not matched: " + (a["actionId"]?.stringValue ?? ""))
        }
        for a in eval["assertions"]?.arrayValue ?? [] where a["met"]?.boolValue == false {
            unmet.append("assertion not met: " + (a["message"]?.stringValue ?? ""))
        }
        for o in eval["outputs"]?.arrayValue ?? [] where o["met"]?.boolValue == false {
            unmet.append("output not matched: " + (o["pattern"]?.stringValue ?? ""))
        }
        for v in eval["nl"]?.arrayValue ?? [] where v["met"]?.boolValue != true {
            let why = v["error"]?.stringValue.map { "judge failed: " + $0 } ?? v["justification"]?.stringValue ?? ""
            unmet.append(
                "NL assertion not met: " + (v["assertion"]?.stringValue ?? "") + (why.isEmpty ? "" : " (\(why))"))
        }
        if let transfer = eval["transfer"], transfer["expected"] != transfer["observed"] {
            unmet.append(
                "transfer expected \(transfer["expected"]?.boolValue == true), observed \(transfer["observed"]?.boolValue == true)"
            )
        }
        if !unmet.isEmpty { h.append("<ul>" + unmet.map { "<li>\(e($0))</li>" }.joined() + "</ul>") }
        let diff = eval["db"]?["diff"]?.arrayValue ?? []
        if diff.isEmpty {
            h.append("<p class=\"muted\">Final state matches the gold target.</p>")
        } else {
            h.append(
                "<table><tr><th>table</th><th>key</th><th>change</th><th>column</th><th>gold</th><th>final</th></tr>")
            for change in diff {
                let columns = change["columns"]?.arrayValue ?? []
                let cells = columns.isEmpty ? [JSONValue.null] : columns
                for c in cells {
                    let before = c == .null ? "" : CanonicalJSON.string(c["before"] ?? .null)
                    let after = c == .null ? "" : CanonicalJSON.string(c["after"] ?? .null)
                    h.append(
                        "<tr><td>\(e(change["table"]?.stringValue ?? ""))</td><td>\(e(change["key"]?.stringValue ?? ""))</td><td>\(e(change["kind"]?.stringValue ?? ""))</td><td>\(e(c["column"]?.stringValue ?? ""))</td><td>\(e(before))</td><td>\(e(after))</td></tr>"
                    )
                }
            }
            h.append("</table>")
        }
        h.append("</div>")
        return h.joined(separator: "\n")
    }
}

/// A stored tool-task run as `agora report` sees it: its outputs rebuilt from the run store alone,
/// without loading the domain or connecting a model (the domain may have moved since).
struct ToolTaskStoredRun: RunKind {
    let document: JSONValue
    let sourceFile: String?
    let seed: UInt64
    let modelLabel: String

    var name: String { ToolTaskKindLoader.kind }
    /// Never used: a stored run already has its folder.
    var folder: RunFolder { .exact("") }

    func plan() async throws -> RunPlan {
        throw RunError(.invalidInput, "a stored run is only reported; run the scenario to make a new one")
    }

    func run(_ unit: UnitSpec, context: UnitContext) async throws -> UnitOutcome {
        throw RunError(.invalidInput, "a stored run is only reported; continue it with --resume")
    }

    func failures(in unit: UnitRecord) -> Int { unit.result["passed"]?.boolValue == true ? 0 : 1 }
    func results(_ data: RunData) async throws -> JSONValue { ToolTaskReport.results(data) }
    func outputs(_ data: RunData, results: JSONValue) async throws -> [RunOutput] {
        ToolTaskReport.outputs(data, results: results)
    }
    func report(_ data: RunData, results: JSONValue, format: ReportFormat) throws -> String {
        ToolTaskReport.report(data, results: results, format: format)
    }
}
