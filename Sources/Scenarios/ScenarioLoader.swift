import Agents
import Foundation
import Memory
import Population
public import Runs
public import Storage
import Worlds

extension Scenario {
    /// Loads and validates a scenario file; relative paths inside it are resolved against its folder.
    ///
    /// - Throws: `RunError` (`invalidInput`, or `io` when unreadable) naming the file, the JSON
    ///   path and what to change.
    public static func load(file: String) throws(RunError) -> Scenario {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw RunError(.io, "cannot read the scenario file; check the path", file: file, underlying: error)
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(data)
        } catch {
            throw RunError(
                .invalidInput, "not valid JSON: \(error.message)", file: file,
                path: "line \(error.line), column \(error.column)")
        }
        let base = URL(fileURLWithPath: file).deletingLastPathComponent().path
        return try parse(value, file: file, baseDirectory: base)
    }

    /// Validates a scenario document. `baseDirectory` resolves relative population paths (`nil`: the
    /// current directory); `checkFiles` verifies that referenced files exist.
    public static func parse(
        _ document: JSONValue, file: String? = nil, baseDirectory: String? = nil, checkFiles: Bool = true
    ) throws(RunError) -> Scenario {
        let root = JSONPathReader<RunError>(document, file: file)
        try root.allowOnly([
            "$schema", "version", "id", "kind", "title", "description", "seed", "population", "generation", "splitBy",
            "survey", "interview", "session", "memory", "context", "evaluation",
        ])
        if let version = try root.optionalInt("version"), version != 1 {
            throw root.fail("version", "this Agora reads scenario version 1; found \(version)")
        }
        let id = try root.nonEmptyString("id")
        guard id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw root.fail("id", "\"\(id)\": use letters, digits, - and _ only (it names the run folder)")
        }
        guard root.has("kind") else {
            throw root.fail(
                "kind", "missing; add \"kind\": one of \(Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let kindName = try root.string("kind")
        guard let kind = Kind(rawValue: kindName) else {
            let hint =
                Spelling.closest(to: kindName, in: Kind.allCases.map(\.rawValue)).map { " (did you mean \"\($0)\"?)" }
                ?? ""
            throw root.fail(
                "kind",
                "unknown kind \"\(kindName)\"\(hint); use one of \(Kind.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        let seed = try root.optionalInt("seed", range: 0...Int.max).map { UInt64($0) } ?? 1
        guard root.has("population") else {
            throw root.fail(
                "population",
                "missing; add \"population\": {\"personas\": \"FILE.jsonl\"}, {\"spec\": \"POPULATION.json\", \"count\": N} or {\"inline\": [ … ]}"
            )
        }
        let population = try parsePopulation(try root.reader("population"), base: baseDirectory, checkFiles: checkFiles)

        var generation = GenerationSettings()
        if let g = try root.optionalReader("generation") {
            try g.allowOnly(["temperature", "maxTokens", "turnMaxTokens"])
            if let t = try g.optionalDouble("temperature") {
                guard (0...2).contains(t) else { throw g.fail("temperature", "use a value from 0 to 2") }
                generation.temperature = t
            }
            if let m = try g.optionalInt("maxTokens", range: 1...8192) { generation.maxTokens = Int(m) }
            if let m = try g.optionalInt("turnMaxTokens", range: 1...8192) { generation.turnMaxTokens = Int(m) }
        }
        let splitBy = root.has("splitBy") ? try root.strings("splitBy") : []

        var scenario = Scenario(
            id: id, kind: kind, title: try root.optionalString("title") ?? id, seed: seed, population: population,
            generation: generation, splitBy: splitBy, survey: nil, interview: nil, session: nil, file: file,
            document: document)
        let sections: [(String, Kind)] = [("survey", .survey), ("interview", .interview)]
        for (key, owner) in sections where root.has(key) && owner != kind {
            throw root.fail(
                key, "a \"\(key)\" section belongs to kind \(owner.rawValue), not \(kind.rawValue); remove it")
        }
        switch kind {
        case .survey:
            guard root.has("survey") else {
                throw root.fail("survey", "missing; a survey needs \"survey\": {\"items\": [ … ]}")
            }
            scenario.survey = try parseSurvey(try root.reader("survey"))
        case .interview:
            guard root.has("interview") else {
                throw root.fail("interview", "missing; an interview needs \"interview\": {\"questions\": [ … ]}")
            }
            scenario.interview = try parseInterview(try root.reader("interview"))
        case .focusGroup, .brainstorm:
            guard root.has("session") else {
                throw root.fail(
                    "session",
                    "missing; a \(kind.rawValue) needs \"session\": {\"moderator\", \"participants\", \"phases\"}")
            }
            scenario.session = try parseSession(try root.reader("session"), population: population)
        }
        try parseContext(root, kind: kind, base: baseDirectory, into: &scenario)
        scenario.evaluation = try parseEvaluation(document, kind: kind, file: file)
        return scenario
    }

    static func parsePopulation(_ reader: JSONPathReader<RunError>, base: String?, checkFiles: Bool) throws(RunError)
        -> PopulationSource
    {
        try reader.allowOnly(["personas", "spec", "count", "seed", "inline"])
        let given = ["personas", "spec"].filter { reader.has($0) }
        guard given.count <= 1 else { throw reader.fail(nil, "give only one of personas, spec") }
        guard !given.isEmpty || reader.has("inline") else {
            throw reader.fail(
                nil,
                "no population given; add \"personas\": \"FILE.jsonl\", \"spec\": \"POPULATION.json\" or \"inline\": [ … ]"
            )
        }
        for key in ["count", "seed"] where reader.has(key) && !reader.has("spec") {
            throw reader.fail(key, "\(key) applies to a generated population only; remove it or add \"spec\"")
        }
        func resolve(_ key: String) throws(RunError) -> String {
            let raw = try reader.nonEmptyString(key)
            let path =
                raw.hasPrefix("/")
                ? raw : URL(fileURLWithPath: base ?? ".").appendingPathComponent(raw).standardized.path
            if checkFiles, !FileManager.default.fileExists(atPath: path) {
                throw reader.fail(key, "the file \(path) does not exist; fix the path (relative to the scenario file)")
            }
            return path
        }
        var personas: [Persona] = []
        if reader.has("inline") {
            for item in try reader.elements("inline") {
                let persona: Persona
                do {
                    persona = try Persona(json: item.value, file: item.file, path: item.path)
                } catch {
                    throw RunError(error)
                }
                if personas.contains(where: { $0.id == persona.id }) {
                    throw item.fail("id", "duplicate persona id \"\(persona.id)\"; ids must be unique")
                }
                personas.append(persona)
            }
            guard !personas.isEmpty || !given.isEmpty else {
                throw reader.fail("inline", "empty; add at least one persona")
            }
        }
        if reader.has("personas") {
            return PopulationSource(base: .personas(path: try resolve("personas")), inline: personas)
        }
        if reader.has("spec") {
            return PopulationSource(
                base: .spec(
                    path: try resolve("spec"),
                    count: try reader.optionalInt("count", range: 1...10_000_000).map { Int($0) },
                    seed: try reader.optionalInt("seed", range: 0...Int.max).map { UInt64($0) }),
                inline: personas)
        }
        return PopulationSource(base: nil, inline: personas)
    }

    static func parseInterview(_ reader: JSONPathReader<RunError>) throws(RunError) -> InterviewSpec {
        try reader.allowOnly(["interviewer", "instructions", "questions", "followUps"])
        var name = "Interviewer"
        var persona: String?
        if let interviewer = try reader.optionalReader("interviewer") {
            try interviewer.allowOnly(["name", "persona"])
            name = try interviewer.optionalString("name") ?? name
            persona = try interviewer.optionalString("persona")
        }
        let defaultFollowUps = Int(try reader.optionalInt("followUps", range: 0...5) ?? 1)
        var questions: [InterviewSpec.Question] = []
        for q in try reader.readers("questions") {
            try q.allowOnly(["id", "text", "followUps"])
            let id = try q.nonEmptyString("id")
            if questions.contains(where: { $0.id == id }) { throw q.fail("id", "duplicate question id \"\(id)\"") }
            questions.append(
                .init(
                    id: id, text: try q.nonEmptyString("text"),
                    followUps: Int(try q.optionalInt("followUps", range: 0...5) ?? defaultFollowUps)))
        }
        guard !questions.isEmpty else { throw reader.fail("questions", "empty; add at least one question") }
        return InterviewSpec(
            interviewerName: name, interviewerPersona: persona,
            instructions: try reader.optionalString("instructions")
                ?? "You are a careful, neutral qualitative interviewer. Ask one short question at a time.",
            questions: questions)
    }

    static func parseSession(_ reader: JSONPathReader<RunError>, population: PopulationSource) throws(RunError)
        -> SessionSpec
    {
        try reader.allowOnly(["moderator", "participants", "turnTaking", "phases", "sessions"])
        let moderator = try reader.nonEmptyString("moderator")
        let participants = try reader.strings("participants")
        guard participants.count >= 2 else {
            throw reader.fail("participants", "a session needs the moderator and at least one participant")
        }
        for (index, id) in participants.enumerated() where participants[..<index].contains(id) {
            throw RunError(
                .invalidInput, "\"\(id)\" is listed twice", file: reader.file,
                path: "\(reader.childPath("participants"))[\(index)]")
        }
        guard participants.contains(moderator) else {
            throw reader.fail(
                "moderator",
                "the moderator \"\(moderator)\" is not a participant; add it to \"participants\" (\(participants.joined(separator: ", ")))"
            )
        }
        if population.base == nil {
            let personas = population.inline
            for (index, id) in participants.enumerated() where !personas.contains(where: { $0.id == id }) {
                throw RunError(
                    .invalidInput, "no persona \"\(id)\" in the inline population; add it or fix the id",
                    file: reader.file,
                    path: "\(reader.childPath("participants"))[\(index)]")
            }
        }
        let turnName = try reader.optionalString("turnTaking") ?? "round-robin"
        guard let turnTaking = SessionSpec.TurnTaking(rawValue: turnName) else {
            throw reader.fail(
                "turnTaking",
                "unknown policy \"\(turnName)\"; use one of \(SessionSpec.TurnTaking.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        var phases: [SessionSpec.Phase] = []
        for p in try reader.readers("phases") {
            try p.allowOnly(["name", "topic", "instructions", "turns"])
            phases.append(
                .init(
                    name: try p.nonEmptyString("name"), topic: try p.nonEmptyString("topic"),
                    instructions: try p.optionalString("instructions") ?? "",
                    turns: Int(try p.optionalInt("turns", range: 1...1000) ?? 6)))
        }
        guard !phases.isEmpty else { throw reader.fail("phases", "empty; add at least one phase") }
        return SessionSpec(
            moderator: moderator, participants: participants, turnTaking: turnTaking, phases: phases,
            sessions: Int(try reader.optionalInt("sessions", range: 1...10_000) ?? 1))
    }
}
