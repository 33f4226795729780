public import Foundation
public import Storage

/// Everything the outputs are built from, read back from a run store (never from memory of the
/// run), so `agora report` rebuilds exactly what `agora run` wrote.
public struct RunData: Sendable {
    /// The manifest.
    public var manifest: RunManifest
    /// The scenario, re-read from the stored copy (`nil` for runs that are not scenarios).
    public var scenario: Scenario?
    /// The personas, in population order.
    public var personas: [ScenarioPersona]
    /// Every unit, in index order.
    public var units: [UnitRecord]
    /// The events of each unit, by unit index.
    public var events: [Int: [RunEvent]]
    /// Token totals per model.
    public var usage: [UsageTotals]
    /// Persona positions by id (lookups only).
    var personaIndex: [String: Int] = [:]

    /// Reads a run.
    public static func load(_ store: RunStore) async throws -> RunData {
        let manifest = try await store.manifest()
        var scenario: Scenario?
        if Scenario.Kind(rawValue: manifest.kind) != nil {
            let base = manifest.sourceFile.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }
            scenario = try Scenario.parse(
                manifest.document, file: manifest.sourceFile, baseDirectory: base, checkFiles: false)
        }
        var events: [Int: [RunEvent]] = [:]
        for group in try await store.events() { events[group.unit] = group.events }
        // Tool-task runs store persona *policies* (id, levels, text), not scenario personas.
        let personas = manifest.kind == ToolTaskReport.kind ? [] : try await ScenarioRunner.storedPersonas(store)
        var index: [String: Int] = [:]
        for (position, persona) in personas.enumerated() { index[persona.id] = position }
        return RunData(
            manifest: manifest, scenario: scenario, personas: personas, units: try await store.units(), events: events,
            usage: try await store.usage(), personaIndex: index)
    }

    /// The done units, in index order.
    public var doneUnits: [UnitRecord] { units.filter { $0.status == .done } }

    func persona(_ id: String) -> ScenarioPersona? { personaIndex[id].map { personas[$0] } }
}

/// The outputs of a run: `transcripts.jsonl`, `responses.csv` (surveys), `results.json` and
/// `report.html` (tool-task runs: also `episodes.jsonl` and `report.md`), each a pure function of
/// the run store's contents.
public enum RunReport {
    /// A format of `agora report`.
    public enum Format: String, Sendable, CaseIterable {
        /// The self-contained HTML page.
        case html
        /// `results.json`.
        case json
        /// A Markdown summary.
        case md
    }

    /// Writes every output into the run folder; returns the files in order.
    public static func writeOutputs(store: RunStore) async throws -> [URL] {
        let data = try await RunData.load(store)
        var files: [(String, String)]
        if data.manifest.kind == ToolTaskReport.kind {
            let results = ToolTaskReport.results(data)
            files = [
                ("transcripts.jsonl", transcripts(data)),
                ("episodes.jsonl", ToolTaskReport.episodesJSONL(data)),
                ("results.json", results.serialized(pretty: true) + "\n"),
                ("report.md", ToolTaskReport.markdown(results)),
                ("report.html", HTMLReport.render(data, results: results)),
            ]
        } else {
            // The texts are independent pure functions of `data`: transcripts (the largest) and the
            // CSV are built beside the results and the report, on both cores.
            async let transcriptsText = transcripts(data)
            async let csvText = responsesCSV(data)
            let results = results(data)
            let resultsText = results.serialized(pretty: true) + "\n"
            let html = HTMLReport.render(data, results: results)
            files = [("transcripts.jsonl", await transcriptsText)]
            if let csv = await csvText { files.append(("responses.csv", csv)) }
            files.append(("results.json", resultsText))
            files.append(("report.html", html))
        }
        var written: [URL] = []
        for (name, text) in files {
            let url = store.directory.appendingPathComponent(name)
            do {
                try Data(text.utf8).write(to: url, options: .atomic)
            } catch {
                throw EnvironmentError(.io, "cannot write \(name)", file: url.path, underlying: error)
            }
            written.append(url)
        }
        return written
    }

    /// Rebuilds the report of a run folder in `format` (and rewrites every output file).
    public static func rebuild(_ directory: URL, format: Format) async throws -> String {
        let store = try RunStore.open(directory)
        _ = try await writeOutputs(store: store)
        let data = try await RunData.load(store)
        let toolTasks = data.manifest.kind == ToolTaskReport.kind
        let results = toolTasks ? ToolTaskReport.results(data) : results(data)
        switch format {
        case .html: return HTMLReport.render(data, results: results)
        case .json: return results.serialized(pretty: true) + "\n"
        case .md: return toolTasks ? ToolTaskReport.markdown(results) : MarkdownReport.render(data, results: results)
        }
    }

    // MARK: transcripts.jsonl

    /// One conversation per line: scenario, unit, participants (with persona ids), events with
    /// speaker names, and the unit's result.
    public static func transcripts(_ data: RunData) -> String {
        // One byte buffer for the whole file: concatenating a String per line copied it twice.
        var out: [UInt8] = []
        for unit in data.doneUnits {
            let events = data.events[unit.spec.index] ?? []
            var participants: [JSONValue] = []
            var seen: [String] = []
            for event in events {
                guard let speaker = event.speaker, !seen.contains(speaker) else { continue }
                seen.append(speaker)
                var p = JSONObject([("id", .string(speaker)), ("name", .string(event.speakerName ?? speaker))])
                p["role"] = .string(role(of: speaker, in: data))
                if data.persona(speaker) != nil { p["persona"] = .string(speaker) }
                participants.append(.object(p))
            }
            let lines: [JSONValue] = events.map { e in
                var o = JSONObject([("seq", .integer(Int64(e.seq))), ("kind", .string(e.kind))])
                o["speaker"] = e.speaker.map { .string($0) } ?? .null
                o["name"] = .string(e.speakerName ?? "Narrator")
                o["content"] = .string(e.content)
                if case .object(let extra) = e.data {
                    for (key, value) in extra where o[key] == nil { o[key] = value }
                }
                return .object(o)
            }
            let line = JSONValue.object(
                JSONObject([
                    ("scenario", .string(data.manifest.document["id"]?.stringValue ?? data.manifest.runID)),
                    ("kind", .string(data.manifest.kind)), ("unit", .string(unit.spec.id)),
                    ("index", .integer(Int64(unit.spec.index))), ("participants", .array(participants)),
                    ("events", .array(lines)), ("termination", unit.result["termination"] ?? .null),
                    ("result", unit.result),
                ]))
            line.serialize(appendingTo: &out)
            out.append(0x0A)
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func role(of speaker: String, in data: RunData) -> String {
        if data.manifest.kind == ToolTaskReport.kind { return speaker }  // `agent` or `user`
        guard let scenario = data.scenario else { return "participant" }
        switch scenario.kind {
        case .survey: return speaker == SurveyRespondent.interviewerID ? "interviewer" : "respondent"
        case .interview:
            return speaker == ConversationUnit.interviewerID || speaker == scenario.interview?.interviewerPersona
                ? "interviewer" : "respondent"
        case .focusGroup, .brainstorm: return speaker == scenario.session?.moderator ? "moderator" : "participant"
        }
    }

    // MARK: responses.csv

    /// One row per done respondent: `respondent_id`, persona attributes, then one column per item
    /// (multiple choices joined by `; `, failed answers empty). `nil` unless the run is a survey.
    public static func responsesCSV(_ data: RunData) -> String? {
        guard let survey = data.scenario?.survey else { return nil }
        let done = data.doneUnits
        var attributeKeys: [String] = []
        let respondents = done.compactMap { data.persona($0.spec.input["persona"]?.stringValue ?? "") }
        for persona in respondents {
            for key in persona.attributes.keys where !attributeKeys.contains(key) { attributeKeys.append(key) }
        }
        var rows = [(["respondent_id"] + attributeKeys + survey.items.map(\.id)).map(csvField).joined(separator: ",")]
        for unit in done {
            let id = unit.spec.input["persona"]?.stringValue ?? unit.spec.id
            let persona = data.persona(id)
            var fields = [id]
            for key in attributeKeys {
                let value = persona?.attributes[key] ?? .null
                fields.append(value == .null ? "" : (value.stringValue ?? CanonicalJSON.string(value)))
            }
            for item in survey.items {
                fields.append(SurveyItem.text(of: unit.result["answers"]?[item.id] ?? .null))
            }
            rows.append(fields.map(csvField).joined(separator: ","))
        }
        return rows.joined(separator: "\n") + "\n"
    }

    static func csvField(_ text: String) -> String {
        // Most fields hold none of the four characters (checked on bytes, without Character breaking).
        guard text.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return text }
        if text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return text
    }

    // MARK: results.json

    /// Per-item distributions with 95% intervals (overall and split by the scenario's `splitBy`
    /// attributes), termination reasons, failure and role-confusion rates, tokens and cost.
    public static func results(_ data: RunData) -> JSONValue {
        let done = data.doneUnits
        var root = JSONObject()
        root["scenario"] = data.manifest.document["id"] ?? .string(data.manifest.runID)
        root["title"] = data.manifest.document["title"] ?? .null
        root["kind"] = .string(data.manifest.kind)
        root["digest"] = .string(data.manifest.digest)
        root["seed"] = .integer(Int64(bitPattern: data.manifest.seed))
        root["model"] = .string(data.manifest.model)
        root["units"] = [
            "total": .integer(Int64(data.units.count)), "done": .integer(Int64(done.count)),
            "failed": .integer(Int64(data.units.filter { $0.status == .failed }.count)),
            "pending": .integer(Int64(data.units.filter { $0.status == .pending }.count)),
        ]
        var reasons: [String: Int] = [:]
        for unit in data.units where unit.status != .pending {
            reasons[unit.result["termination"]?.stringValue ?? unit.status.rawValue, default: 0] += 1
        }
        root["termination"] = .array(
            reasons.keys.sorted().map { ["reason": .string($0), "count": .integer(Int64(reasons[$0] ?? 0))] })
        if let survey = data.scenario?.survey {
            root["items"] = .array(survey.items.map { itemStats($0, units: done) })
            var splits: [JSONValue] = []
            for attribute in data.scenario?.splitBy ?? [] {
                var groups: [String: [UnitRecord]] = [:]
                for unit in done {
                    let persona = data.persona(unit.spec.input["persona"]?.stringValue ?? "")
                    let value = persona?.attributes[attribute] ?? .null
                    let key = value == .null ? "(missing)" : (value.stringValue ?? CanonicalJSON.string(value))
                    groups[key, default: []].append(unit)
                }
                let list: [JSONValue] = groups.keys.sorted().map { key in
                    let members = groups[key] ?? []
                    return [
                        "value": .string(key), "n": .integer(Int64(members.count)),
                        "items": .array(survey.items.map { itemStats($0, units: members) }),
                    ]
                }
                splits.append(["attribute": .string(attribute), "groups": .array(list)])
            }
            root["splits"] = .array(splits)
            var openAnswers = 0
            var confused = 0
            for unit in done {
                confused += Int(unit.result["roleConfusions"]?.intValue ?? 0)
                for item in survey.items {
                    if case .open = item.answer, unit.result["answers"]?[item.id] != .null { openAnswers += 1 }
                }
            }
            let failures = done.reduce(0) { $0 + ($1.result["failures"]?.arrayValue?.count ?? 0) }
            let asked = done.count * survey.items.count
            root["metrics"] = [
                "itemFailureRate": .number(asked == 0 ? 0 : Statistics.round6(Double(failures) / Double(asked))),
                "roleConfusionRate": .number(
                    openAnswers == 0 ? 0 : Statistics.round6(Double(confused) / Double(openAnswers))),
                "echoRate": .null,
            ]
        } else {
            root["extracted"] = .array(done.map { ["unit": .string($0.spec.id), "result": $0.result] })
            root["metrics"] = conversationMetrics(data)
        }
        root["usage"] = usage(data)
        return .object(root)
    }

    /// Calls, tokens and cost per model (cost 0 for local and scripted models, else unknown).
    static func usage(_ data: RunData) -> JSONValue {
        let totalPrompt = data.usage.reduce(0) { $0 + $1.promptTokens }
        let totalCompletion = data.usage.reduce(0) { $0 + $1.completionTokens }
        var cost: JSONValue = .null
        if !data.usage.isEmpty, data.usage.allSatisfy({ $0.model.hasPrefix("local/") || $0.model == "scripted" }) {
            cost = .number(0)
        }
        return [
            "calls": .integer(Int64(data.usage.reduce(0) { $0 + $1.calls })),
            "promptTokens": .integer(Int64(totalPrompt)), "completionTokens": .integer(Int64(totalCompletion)),
            "cost": cost,
            "models": .array(
                data.usage.map {
                    [
                        "model": .string($0.model), "calls": .integer(Int64($0.calls)),
                        "promptTokens": .integer(Int64($0.promptTokens)),
                        "completionTokens": .integer(Int64($0.completionTokens)),
                    ]
                }),
        ]
    }

    static func conversationMetrics(_ data: RunData) -> JSONValue {
        var rates: [Double] = []
        var confused = 0
        var turns = 0
        for unit in data.doneUnits {
            let events = data.events[unit.spec.index] ?? []
            rates.append(ConversationMetricsBridge.echoRate(events))
            confused += Int(unit.result["roleConfusions"]?.intValue ?? 0)
            turns += events.filter { $0.kind == "utterance" }.count
        }
        return [
            "echoRate": .number(rates.isEmpty ? 0 : Statistics.round6(rates.reduce(0, +) / Double(rates.count))),
            "roleConfusionRate": .number(turns == 0 ? 0 : Statistics.round6(Double(confused) / Double(turns))),
        ]
    }

    static func itemStats(_ item: SurveyItem, units: [UnitRecord]) -> JSONValue {
        let values = units.map { $0.result["answers"]?[item.id] ?? .null }
        let answered = values.filter { $0 != .null }
        let n = answered.count
        var o = JSONObject([
            ("id", .string(item.id)), ("type", .string(item.typeName)), ("question", .string(item.question)),
            ("n", .integer(Int64(n))), ("failed", .integer(Int64(values.count - n))),
        ])
        func bucket(_ label: JSONValue, _ count: Int) -> JSONValue {
            let (low, high) = Statistics.wilson(count, n)
            return [
                "value": label, "count": .integer(Int64(count)),
                "share": .number(n == 0 ? 0 : Statistics.round6(Double(count) / Double(n))),
                "ci95": [.number(Statistics.round6(low)), .number(Statistics.round6(high))],
            ]
        }
        func numericSummary(_ xs: [Double]) {
            guard let m = Statistics.meanInterval(xs) else { return }
            o["mean"] = .number(Statistics.round6(m.mean))
            o["sd"] = .number(Statistics.round6(m.sd))
            o["meanCI95"] = [.number(Statistics.round6(m.low)), .number(Statistics.round6(m.high))]
            o["median"] = .number(Statistics.round6(Statistics.median(xs) ?? 0))
            o["min"] = .number(xs.min() ?? 0)
            o["max"] = .number(xs.max() ?? 0)
        }
        switch item.answer {
        case .likert(let low, let high, let labels):
            o["distribution"] = .array(
                (low...high).map { point in
                    var b = bucket(.integer(Int64(point)), answered.filter { $0.intValue == Int64(point) }.count)
                    if !labels.isEmpty, case .object(var bo) = b {
                        bo["label"] = .string(labels[point - low])
                        b = .object(bo)
                    }
                    return b
                })
            numericSummary(answered.compactMap(\.doubleValue))
        case .singleChoice(let options):
            o["distribution"] = .array(
                options.map { option in bucket(.string(option), answered.filter { $0.stringValue == option }.count) })
        case .multipleChoice(let options, _, _):
            o["distribution"] = .array(
                options.map { option in
                    bucket(.string(option), answered.filter { $0.arrayValue?.contains(.string(option)) == true }.count)
                })
        case .numeric:
            numericSummary(answered.compactMap(\.doubleValue))
        case .open:
            let lengths = answered.compactMap { $0.stringValue?.count }
            o["meanLength"] = .number(
                lengths.isEmpty ? 0 : Statistics.round6(Double(lengths.reduce(0, +)) / Double(lengths.count)))
        }
        return .object(o)
    }
}
