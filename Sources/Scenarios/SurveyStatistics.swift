import Foundation
import HTMLKit
import Population
import Runs
import Storage

/// The answer keys of a survey: an item id, or `ID@STIMULUS` per stimulus of a within-subjects design.
enum SurveyColumns {
    /// Every answer key with its item, in CSV order (stimuli in file order, then items).
    static func keys(_ survey: SurveySpec) -> [(key: String, item: SurveyItem)] {
        guard let stimuli = survey.stimuli, stimuli.design == .within else {
            return survey.items.map { ($0.id, $0) }
        }
        return stimuli.rows.flatMap { row in survey.items.map { ("\($0.id)@\(row.id)", $0) } }
    }

    /// The CSV headers of an answer key: the item's columns, with the stimulus suffix.
    static func headers(_ key: String, item: SurveyItem) -> [String] {
        let suffix = key.dropFirst(item.id.count)
        return item.columns.map { $0 + suffix }
    }
}

extension ScenarioReport {
    // MARK: responses.csv

    /// One row per done respondent: `respondent_id`, persona attributes, the stimulus (between) or
    /// the stimulus order (within), then the item columns: multiple choices joined by `; `, a
    /// matrix row per column, failed answers empty, skipped items `(skipped)`. `nil` unless the
    /// run is a survey.
    static func responsesCSV(_ data: ScenarioRunData) -> String? {
        guard let survey = data.scenario.survey else { return nil }
        let done = data.doneUnits
        var attributeKeys: [String] = []
        let respondents = done.compactMap { data.persona($0.spec.input["persona"]?.stringValue ?? "") }
        for persona in respondents {
            for key in persona.attributes.keys where !attributeKeys.contains(key) { attributeKeys.append(key) }
        }
        var rows = [csvHeader(survey, attributeKeys: attributeKeys)]
        for unit in done {
            rows.append(
                csvRow(
                    unit, persona: data.persona(unit.spec.input["persona"]?.stringValue ?? unit.spec.id),
                    survey: survey,
                    attributeKeys: attributeKeys))
        }
        return rows.joined(separator: "\n") + "\n"
    }

    /// The header line of responses.csv (without its line break).
    static func csvHeader(_ survey: SurveySpec, attributeKeys: [String]) -> String {
        let design = survey.stimuli?.design
        let stimulusColumn = design.map { $0 == .between ? ["stimulus"] : ["stimulus_order"] } ?? []
        var header = ["respondent_id"] + attributeKeys + stimulusColumn
        for (key, item) in SurveyColumns.keys(survey) { header += SurveyColumns.headers(key, item: item) }
        return header.map(RunReport.csvField).joined(separator: ",")
    }

    /// One done respondent's line of responses.csv (without its line break).
    static func csvRow(_ unit: UnitRecord, persona: Persona?, survey: SurveySpec, attributeKeys: [String]) -> String {
        let id = unit.spec.input["persona"]?.stringValue ?? unit.spec.id
        var fields = [id]
        for key in attributeKeys {
            let value = persona?.attributes[key] ?? .null
            fields.append(value == .null ? "" : (value.stringValue ?? CanonicalJSON.string(value)))
        }
        switch survey.stimuli?.design {
        case .between: fields.append(unit.spec.input["stimulus"]?.stringValue ?? "")
        case .within: fields.append(SurveyItem.text(of: unit.spec.input["stimuli"] ?? .null))
        case nil: break
        }
        let answers = unit.result["answers"]
        let skipped = unit.result["skipped"]
        for (key, item) in SurveyColumns.keys(survey) {
            if let value = answers?[key] {
                fields += item.cells(value)
            } else if skipped?[key] != nil {
                fields += item.cells(nil)
            } else {
                fields += item.columns.map { _ in "" }
            }
        }
        return fields.map(RunReport.csvField).joined(separator: ",")
    }

    // MARK: results.json, per item

    /// One item's statistics over the answers given (in unit order): `n` answered, `failed`, `skipped`, and by type a
    /// distribution with Wilson intervals, a numeric summary, mean ranks, mean allocations or
    /// per-row distributions.
    static func itemStats(_ item: SurveyItem, key: String, answered: [JSONValue], failed: Int, skipped: Int)
        -> JSONValue
    {
        let n = answered.count
        var o = JSONObject([
            ("id", .string(key)), ("type", .string(item.typeName)), ("question", .string(item.question)),
            ("n", .integer(Int64(n))), ("failed", .integer(Int64(failed))), ("skipped", .integer(Int64(skipped))),
        ])
        func bucket(_ label: JSONValue, _ count: Int, of total: Int) -> JSONValue {
            let (low, high) = Statistics.wilson(count, total)
            return [
                "value": label, "count": .integer(Int64(count)),
                "share": .number(total == 0 ? 0 : Statistics.round6(Double(count) / Double(total))),
                "ci95": [.number(Statistics.round6(low)), .number(Statistics.round6(high))],
            ]
        }
        func summary(_ xs: [Double]) -> JSONObject {
            var s = JSONObject()
            guard let m = Statistics.meanInterval(xs) else { return s }
            s["mean"] = .number(Statistics.round6(m.mean))
            s["sd"] = .number(Statistics.round6(m.sd))
            s["meanCI95"] = [.number(Statistics.round6(m.low)), .number(Statistics.round6(m.high))]
            s["median"] = .number(Statistics.round6(Statistics.median(xs) ?? 0))
            s["min"] = .number(xs.min() ?? 0)
            s["max"] = .number(xs.max() ?? 0)
            return s
        }
        func merge(_ s: JSONObject) { for (k, v) in s { o[k] = v } }
        func scale(_ values: [JSONValue], low: Int, high: Int, labels: [String]) -> JSONValue {
            .array(
                (low...high).map { point in
                    var b = bucket(
                        .integer(Int64(point)), values.filter { $0.intValue == Int64(point) }.count, of: values.count)
                    if !labels.isEmpty, case .object(var bo) = b {
                        bo["label"] = .string(labels[point - low])
                        b = .object(bo)
                    }
                    return b
                })
        }
        /// The options in file order, then any other value seen (templated options), sorted.
        func choices(_ options: [String], seen: [String]) -> [String] {
            options + Set(seen.filter { !options.contains($0) }).sorted()
        }
        switch item.answer {
        case .likert(let low, let high, let labels):
            o["distribution"] = scale(answered, low: low, high: high, labels: labels)
            merge(summary(answered.compactMap(\.doubleValue)))
        case .linearScale(let low, let high, let lowLabel, let highLabel):
            var labels: [String] = []
            if lowLabel != nil || highLabel != nil {
                labels = (low...high).map { $0 == low ? (lowLabel ?? "") : ($0 == high ? (highLabel ?? "") : "") }
            }
            o["distribution"] = high - low <= 20 ? scale(answered, low: low, high: high, labels: labels) : .array([])
            merge(summary(answered.compactMap(\.doubleValue)))
        case .singleChoice(let options):
            o["distribution"] = .array(
                choices(options, seen: answered.compactMap(\.stringValue)).map { option in
                    bucket(.string(option), answered.filter { $0.stringValue == option }.count, of: n)
                })
        case .yesNo:
            o["distribution"] = .array(
                ["Yes", "No"].map { label in
                    bucket(.string(label), answered.filter { $0.stringValue == label }.count, of: n)
                })
        case .multipleChoice(let options, _, _), .checkbox(let options, _, _, _):
            var all = options
            var lists = answered.map { $0.arrayValue ?? [] }
            if case .checkbox(_, _, _, let other) = item.answer {
                all.append(other)
                lists = answered.map { $0["selected"]?.arrayValue ?? [] }
                o["otherTexts"] = .integer(
                    Int64(answered.filter { !($0["other"]?.stringValue ?? "").isEmpty }.count))
            }
            let seen = lists.flatMap { $0.compactMap(\.stringValue) }
            o["distribution"] = .array(
                choices(all, seen: seen).map { option in
                    bucket(.string(option), lists.filter { $0.contains(.string(option)) }.count, of: n)
                })
        case .rank(let options), .topK(let options, _):
            let lists = answered.map { ($0.arrayValue ?? []).compactMap(\.stringValue) }
            let all = choices(options, seen: lists.flatMap { $0 })
            // The chart: how often each option came first (rank) or was picked at all (top-k).
            let isRank: Bool
            if case .rank = item.answer { isRank = true } else { isRank = false }
            o["distribution"] = .array(
                all.map { option in
                    bucket(
                        .string(option),
                        lists.filter { isRank ? $0.first == option : $0.contains(option) }.count, of: n)
                })
            o["ranking"] = .array(
                all.map { option in
                    let positions = lists.compactMap { $0.firstIndex(of: option).map { Double($0 + 1) } }
                    var r = JSONObject([("option", .string(option)), ("picked", .integer(Int64(positions.count)))])
                    r["meanRank"] =
                        positions.isEmpty
                        ? .null : .number(Statistics.round6(positions.reduce(0, +) / Double(positions.count)))
                    return .object(r)
                })
        case .matrix(let rows, let low, let high, let labels):
            o["rows"] = .array(
                rows.map { row in
                    let values = answered.compactMap { $0[row.id] }
                    var r = JSONObject([
                        ("id", .string(row.id)), ("text", .string(row.text)), ("n", .integer(Int64(values.count))),
                    ])
                    r["distribution"] = scale(values, low: low, high: high, labels: labels)
                    for (k, v) in summary(values.compactMap(\.doubleValue)) { r[k] = v }
                    return .object(r)
                })
        case .constantSum(let options, let total):
            var seen: [String] = []
            for value in answered { seen += value.objectValue?.keys ?? [] }
            o["total"] = .integer(Int64(total))
            o["allocations"] = .array(
                choices(options, seen: seen).map { option in
                    let xs = answered.map { $0[option]?.doubleValue ?? 0 }
                    var a = JSONObject([("option", .string(option))])
                    for (k, v) in summary(xs) { a[k] = v }
                    if xs.isEmpty { a["mean"] = .null }
                    return .object(a)
                })
        case .numeric:
            merge(summary(answered.compactMap(\.doubleValue)))
        case .open:
            let lengths = answered.compactMap { $0.stringValue?.count }
            o["meanLength"] = .number(
                lengths.isEmpty ? 0 : Statistics.round6(Double(lengths.reduce(0, +)) / Double(lengths.count)))
        case .freeList:
            let lists = answered.map { ($0.arrayValue ?? []).compactMap(\.stringValue) }
            o["meanItems"] = .number(
                n == 0 ? 0 : Statistics.round6(Double(lists.reduce(0) { $0 + $1.count }) / Double(n)))
            var counts: [String: Int] = [:]
            for list in lists {
                for entry in Set(list.map { $0.lowercased() }) { counts[entry, default: 0] += 1 }
            }
            let top = counts.keys.sorted { (counts[$0] ?? 0, $1) > (counts[$1] ?? 0, $0) }.prefix(10)
            o["distribution"] = .array(top.map { bucket(.string($0), counts[$0] ?? 0, of: n) })
        }
        return .object(o)
    }
}

extension ScenarioReport {
    /// The report charts of the newer item types: a matrix's rows (one bar chart each, with the
    /// mean), a constant sum's mean allocations (as shares of the total), mean ranks. Empty for
    /// other types.
    static func surveyTypeSection(_ item: JSONValue) -> String {
        var h: [String] = []
        for row in item["rows"]?.arrayValue ?? [] {
            let n = Int(row["n"]?.intValue ?? 0)
            h.append(
                "<h4>\(HTML.escape(row["text"]?.stringValue ?? "")) · n = \(n) · mean \(HTMLReport.number(row["mean"]))</h4>"
            )
            let bars = (row["distribution"]?.arrayValue ?? []).map { b -> (String, Int, (Double, Double)?) in
                var label = RunReport.text(of: b["value"] ?? .null)
                if let l = b["label"]?.stringValue, !l.isEmpty { label += " · " + l }
                let ci = b["ci95"]?.arrayValue
                return (
                    label, Int(b["count"]?.intValue ?? 0), ci.map { ($0[0].doubleValue ?? 0, $0[1].doubleValue ?? 0) }
                )
            }
            h.append(HTMLReport.bars(bars, total: n))
        }
        if let allocations = item["allocations"]?.arrayValue {
            let total = item["total"]?.doubleValue ?? 1
            h.append("<p>Mean allocation of \(HTMLReport.number(item["total"])) points:</p>")
            h.append(
                HTMLReport.shareBars(
                    allocations.map { a in
                        let mean = a["mean"]?.doubleValue ?? 0
                        return (
                            label: a["option"]?.stringValue ?? "", share: total == 0 ? 0 : mean / total,
                            note: HTMLReport.number(a["mean"]), ci: nil
                        )
                    }))
        }
        if let ranking = item["ranking"]?.arrayValue {
            h.append("<table><tr><th>option</th><th>picked</th><th>mean rank</th></tr>")
            for r in ranking {
                h.append(
                    "<tr><td>\(HTML.escape(r["option"]?.stringValue ?? ""))</td><td>\(HTMLReport.number(r["picked"]))</td><td>\(r["meanRank"] == .null ? "–" : HTMLReport.number(r["meanRank"]))</td></tr>"
                )
            }
            h.append("</table>")
        }
        if let items = item["meanItems"] {
            h.append("<p>mean \(HTMLReport.number(items)) entries per answer (top entries above)</p>")
        }
        return h.joined(separator: "\n")
    }
}
