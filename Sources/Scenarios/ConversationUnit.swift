import Agents
import Inference
import Memory
import Population
import Runs
import Storage
import Synchronization
import Worlds

/// An interview or a group session (focus group, brainstorm) run as one unit on the world engine:
/// phases with topics, instructions and turn budgets, then one structured extraction call over the
/// transcript (per-question answers; ideas; positions and themes) and a summary.
struct ConversationUnit {
    let context: ScenarioUnitContext
    let unit: UnitSpec

    /// The speaker id of a scripted interviewer.
    static let interviewerID = "interviewer"

    var scenario: Scenario { context.scenario }

    /// A participant id the world accepts (`[a-z0-9_-]+`) for a persona id.
    static func participantID(_ personaID: String) -> ParticipantID {
        let raw = String(
            personaID.lowercased().map {
                $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") ? $0 : "-"
            })
        return ParticipantID(unchecked: raw.isEmpty ? "x" : raw)
    }

    func agent(_ persona: Persona, role: ParticipantRole, instructions: String, model: any LanguageModel)
        -> Agent
    {
        var settings = AgentSettings(
            temperature: scenario.generation.temperature, maxTokens: scenario.generation.turnMaxTokens)
        var tree: PersonaTree?
        settings.historyWindow = scenario.context.window
        settings.recall = scenario.context.window == nil ? nil : scenario.context.recall
        if let memory = scenario.memory {
            settings.memoryBudgetTokens = memory.budgetTokens
            tree = memory.schema.seeded(with: Self.seed(persona))
        }
        return Agent(
            id: Self.participantID(persona.id),
            profile: AgentProfile(persona),
            role: role, instructions: instructions, model: model, memory: tree, settings: settings)
    }

    /// The PersonaTree seed of a persona: its name, then its attributes in file order (values as
    /// text), and its narrative.
    static func seed(_ persona: Persona) -> PersonaSeed {
        var attributes = [PersonaSeed.Attribute(name: "name", value: persona.displayName)]
        for (key, value) in persona.attributes {
            let text = value.stringValue ?? (value.isNull ? "" : CanonicalJSON.string(value))
            attributes.append(PersonaSeed.Attribute(name: key, value: text))
        }
        return PersonaSeed(attributes: attributes, narrative: persona.narrative)
    }

    /// The world options' memory part: the MemListener on the unit's model when memory is on; and
    /// the scenario's projection (ECP, or CONCAT for the ablation) for every agent of the world.
    func memoryOptions(_ options: inout WorldOptions, model: any LanguageModel) {
        options.projection.mode = scenario.context.projection.mode
        guard let memory = scenario.memory else { return }
        var config = MemListenerConfig()
        config.exchangesPerChunk = memory.updateEvery
        options.memoryUpdater = PersonaTreeUpdater(listener: MemListener(model: model, config: config))
        options.memoryChunk = memory.updateEvery
        // The update's input is fixed when it starts and it lands a round later (WorldOptions), so
        // running it while others speak keeps outputs deterministic and costs no wall time.
        options.memoryInBackground = true
    }

    /// The memory operations of a finished world for the run store: one entry per MemListener
    /// update (its ops and outcomes) and per recall, in the order they happened.
    func memoryRecords(_ world: World) -> [JSONValue] {
        let personaOf: [(ParticipantID, String)] = world.agents.map { ($0.id, $0.profile.personaID ?? $0.id.raw) }
        func persona(_ id: ParticipantID) -> String { personaOf.first { $0.0 == id }?.1 ?? id.raw }
        var records: [JSONValue] = []
        for note in world.memoryNotes where note.record != nil {
            var object = JSONObject([
                ("kind", "update"), ("participant", .string(persona(note.participant))),
                ("throughSeq", .integer(Int64(note.throughSeq))), ("note", .string(note.note)),
            ])
            if let record = note.record { object["record"] = record.jsonValue }
            records.append(.object(object))
        }
        for turn in world.turns {
            guard let recall = turn.recall else { continue }
            records.append(
                .object(
                    JSONObject([
                        ("kind", "recall"), ("participant", .string(persona(turn.participant))),
                        ("turn", .integer(Int64(turn.index))), ("recall", recall.jsonValue),
                    ])))
        }
        // Prompts that cut learned memory or were fitted to the model's window: what was left out.
        for turn in world.turns {
            guard let context = turn.context,
                !context.memoryDropped.isEmpty || context.fitDroppedEvents > 0 || context.fitDroppedNotes
            else { continue }
            records.append(
                .object(
                    JSONObject([
                        ("kind", "context"), ("participant", .string(persona(turn.participant))),
                        ("turn", .integer(Int64(turn.index))), ("context", context.jsonValue),
                    ])))
        }
        return records
    }

    /// The unit result's memory summary: updates, op outcomes by kind, parse errors, recalls.
    func memorySummary(_ world: World) -> JSONValue? {
        let contexts = world.turns.compactMap(\.context)
        let promptTokens = contexts.map(\.promptTokens)
        var window = JSONObject([
            ("history", .string(scenario.context.window == nil ? "full" : "bounded")),
            ("projection", .string(scenario.context.projection.rawValue)),
            ("memory", .string(scenario.memory == nil ? "off" : "persona-tree")),
            (
                "meanPromptTokens",
                promptTokens.isEmpty ? .null : .integer(Int64(promptTokens.reduce(0, +) / promptTokens.count))
            ),
            ("maxPromptTokens", .integer(Int64(promptTokens.max() ?? 0))),
            ("turnsWithMemoryCut", .integer(Int64(contexts.filter { !$0.memoryDropped.isEmpty }.count))),
            ("turnsFitted", .integer(Int64(contexts.filter { $0.fitDroppedEvents > 0 || $0.fitDroppedNotes }.count))),
        ])
        if let fitted = contexts.compactMap(\.fittedTo).first { window["contextWindow"] = .integer(Int64(fitted)) }
        guard scenario.memory != nil else { return .object(JSONObject([("context", .object(window))])) }
        var applied = 0
        var rejected = 0
        var unchanged = 0
        var parseErrors = 0
        var failures = 0
        for note in world.memoryNotes {
            guard let record = note.record else { continue }
            for outcome in record.outcomes {
                switch outcome {
                case .rejected, .dropped: rejected += 1
                case .unchanged, .noop: unchanged += 1
                default: applied += 1
                }
            }
            parseErrors += record.parseErrors.count
            if record.failure != nil { failures += 1 }
        }
        return .object(
            JSONObject([
                ("updates", .integer(Int64(world.memoryNotes.filter { $0.record != nil }.count))),
                ("applied", .integer(Int64(applied))),
                ("rejected", .integer(Int64(rejected))), ("unchanged", .integer(Int64(unchanged))),
                ("parseErrors", .integer(Int64(parseErrors))), ("failedUpdates", .integer(Int64(failures))),
                ("recalls", .integer(Int64(world.turns.filter { $0.recall != nil }.count))),
                ("learnedLeavesShown", .integer(Int64(contexts.last?.memoryShown ?? 0))),
                ("context", .object(window)),
            ]))
    }

    func run(model: any LanguageModel) async throws -> (events: [RunEvent], result: JSONValue, memory: [JSONValue]) {
        switch scenario.kind {
        case .interview: return try await interview(model: model)
        default: return try await session(model: model)
        }
    }

    // MARK: group sessions

    func session(model: any LanguageModel) async throws -> (events: [RunEvent], result: JSONValue, memory: [JSONValue])
    {
        guard let spec = scenario.session else { throw RunError(.invalidInput, "no session section") }
        let what = scenario.kind == .brainstorm ? "a brainstorm" : "a focus group"
        var agents: [Agent] = []
        for id in spec.participants {
            let persona = try context.persona(id)
            if id == spec.moderator {
                agents.append(
                    agent(
                        persona, role: .moderator,
                        instructions:
                            "You moderate \(what) (\(scenario.title)). Introduce each topic, invite participants by name, keep your turns short and neutral.",
                        model: model))
            } else {
                agents.append(
                    agent(
                        persona, role: .speaker,
                        instructions: speakerInstructions, model: model))
            }
        }
        let moderator = Self.participantID(spec.moderator)
        let turnTaking: TurnTaking
        switch spec.turnTaking {
        case .roundRobin: turnTaking = .roundRobin
        case .moderator: turnTaking = .moderated(ModeratedTurns(moderator: moderator))
        case .selfSelection: turnTaking = .selfSelection(maxConsecutive: 2)
        case .simultaneous: turnTaking = .simultaneous
        }
        var world: World?
        var phases: [JSONValue] = []
        let label = ActivityLabel()
        for (index, phase) in spec.phases.enumerated() {
            let rules = TerminationRules(maxTurns: phase.turns, maxTurnsPerAgent: nil)
            let text = phaseScenario(index)
            label.set(
                "\(unit.id): phase \(index + 1)/\(spec.phases.count) \(phase.name)",
                start: Double(index) / Double(spec.phases.count))
            if world == nil {
                var options = WorldOptions(
                    turnTaking: turnTaking, termination: rules, scenario: text, seed: unitSeed, concurrency: 4)
                memoryOptions(&options, model: model)
                let run = context.run
                options.onTurn = { p in
                    let phaseShare = p.budget.map { Double(p.phaseTurns) / Double(max($0, 1)) } ?? 0
                    run.report(
                        "\(label.get()), turn \(p.phaseTurns)/\(p.budget ?? 0) (\(p.speaker))",
                        fraction: label.start + phaseShare / Double(spec.phases.count))
                }
                world = try World(agents: agents, options: options)
            } else {
                try world?.beginPhase(termination: rules, scenario: text)
            }
            try world?.narrate(text)
            let end = try await world?.run()
            phases.append(phaseRecord(phase.name, end))
            if end?.reason == .endpointUnusable { break }
        }
        guard let world else { throw RunError(.world, "no phase ran") }
        return try await finish(world, phases: phases, extractFrom: world.transcript.events, model: model)
    }

    /// Checks for a run-stopping failure, then builds the unit's outputs: its events, its result
    /// (`leading` keys first, then termination, phases, turn counts, the extraction over
    /// `extractFrom`, failures and the memory summary) and its memory records.
    func finish(
        _ world: World, phases: [JSONValue], extractFrom events: [Event], model: any LanguageModel,
        leading: JSONObject = JSONObject()
    ) async throws -> (events: [RunEvent], result: JSONValue, memory: [JSONValue]) {
        try Self.checkStop(world)
        var result = leading
        result["termination"] = .string(world.termination?.reason.rawValue ?? "completed")
        result["phases"] = .array(phases)
        result["turns"] = .integer(Int64(world.turns.count))
        result["failedTurns"] = .integer(Int64(world.failedTurns.count))
        result["roleConfusions"] = .integer(Int64(world.turns.filter(\.roleConfusion).count))
        let text = OmniscientTranscript.lines(events, roster: world.transcript.roster).joined(separator: "\n")
        for (key, value) in try await extract(text, model: model) { result[key] = value }
        result["failures"] = .array(
            world.failedTurns.map {
                ["turn": .integer(Int64($0.index)), "reason": .string($0.failure.map { "\($0)" } ?? "")]
            })
        if let summary = memorySummary(world) { result["memory"] = summary }
        return (self.events(world), .object(result), memoryRecords(world))
    }

    var unitSeed: UInt64 {
        var stream = RandomStream(seed: context.seed).substream("unit/\(unit.id)")
        return stream.next()
    }

    func phaseRecord(_ name: String, _ end: Termination?) -> JSONValue {
        [
            "name": .string(name), "termination": .string(end?.reason.rawValue ?? "none"),
            "detail": .string(end?.detail ?? ""), "turn": .integer(Int64(end?.turn ?? 0)),
        ]
    }

    /// The extraction schema and instruction of this kind.
    var extractionSpec: (schema: JSONValue, instruction: String) {
        switch scenario.kind {
        case .brainstorm:
            return (
                [
                    "type": "object",
                    "properties": [
                        "ideas": [
                            "type": "array", "maxItems": 12,
                            "items": [
                                "type": "object",
                                "properties": [
                                    "idea": ["type": "string", "maxLength": 200],
                                    "by": ["type": "string", "maxLength": 60],
                                ],
                                "required": ["idea", "by"], "additionalProperties": false,
                            ],
                        ],
                        "summary": ["type": "string", "maxLength": 500],
                    ],
                    "required": ["ideas", "summary"], "additionalProperties": false,
                ],
                "List every distinct idea proposed in this brainstorm (who proposed it), then summarise the session in two sentences."
            )
        case .interview:
            let questions = scenario.interview?.questions ?? []
            var properties = JSONObject()
            for q in questions { properties[q.id] = ["type": "string", "maxLength": 300] }
            properties["summary"] = ["type": "string", "maxLength": 500]
            return (
                [
                    "type": "object", "properties": .object(properties),
                    "required": .array((questions.map(\.id) + ["summary"]).map { .string($0) }),
                    "additionalProperties": false,
                ],
                "For each question below, write the respondent's answer in one sentence, in their terms (empty if they did not answer); then summarise the interview in two sentences.\n"
                    + questions.map { "\($0.id): \($0.text)" }.joined(separator: "\n")
            )
        default:
            return (
                [
                    "type": "object",
                    "properties": [
                        "positions": [
                            "type": "array", "maxItems": 12,
                            "items": [
                                "type": "object",
                                "properties": [
                                    "participant": ["type": "string", "maxLength": 60],
                                    "position": ["type": "string", "maxLength": 200],
                                ],
                                "required": ["participant", "position"], "additionalProperties": false,
                            ],
                        ],
                        "themes": ["type": "array", "maxItems": 8, "items": ["type": "string", "maxLength": 120]],
                        "summary": ["type": "string", "maxLength": 500],
                    ],
                    "required": ["positions", "themes", "summary"], "additionalProperties": false,
                ],
                "List each participant's position (not the moderator's) and the main themes of this focus group, then summarise it in two sentences."
            )
        }
    }

    /// One structured call over the transcript; a failure is recorded, never replaced by invented content.
    func extract(_ transcript: String, model: any LanguageModel) async throws -> JSONObject {
        let (schema, instruction) = extractionSpec
        let request = ChatRequest(
            messages: [
                .system("You analyse research transcripts faithfully. Use only what the transcript says."),
                .user("\(instruction)\n\nTranscript:\n\(transcript)\n\nReply with JSON only."),
            ], temperature: 0, maxTokens: scenario.generation.maxTokens)
        do {
            let result = try await StructuredGenerator(model: model).generate(
                request, schema: schema, name: "extraction")
            return JSONObject([("extracted", result.value)])
        } catch {
            if error.stopsRun { throw error }
            return JSONObject([("extractionError", .string(error.message))])
        }
    }

    /// Throws the model error behind a failed turn when it should stop the run (not a failed turn).
    static func checkStop(_ world: World) throws {
        for turn in world.failedTurns {
            if let error = turn.failure?.underlying as? InferenceError, error.stopsRun { throw error }
        }
        if world.termination?.reason == .endpointUnusable {
            throw InferenceError(.unreachable, world.termination?.detail ?? "the model endpoint is unusable")
        }
    }

    // MARK: interviews

    func interview(model: any LanguageModel) async throws -> (
        events: [RunEvent], result: JSONValue, memory: [JSONValue]
    ) {
        guard let spec = scenario.interview else { throw RunError(.invalidInput, "no interview section") }
        let respondent = try context.persona(unit.input["persona"]?.stringValue ?? "")
        let interviewer: Agent
        if let personaID = spec.interviewerPersona {
            interviewer = agent(
                try context.persona(personaID), role: .moderator,
                instructions: spec.instructions
                    + " Cover these questions, one at a time, with a follow-up where useful:\n"
                    + spec.questions.map { "- \($0.text)" }.joined(separator: "\n"),
                model: model)
        } else {
            let profile = AgentProfile(displayName: spec.interviewerName)
            interviewer = Agent(
                id: ParticipantID(unchecked: Self.interviewerID), profile: profile, role: .moderator,
                instructions: spec.instructions
                    + " When the narrator gives you a question, ask it in your own words; otherwise ask one short follow-up about the last answer.",
                model: model,
                settings: AgentSettings(
                    temperature: scenario.generation.temperature, maxTokens: scenario.generation.turnMaxTokens))
        }
        let person = agent(
            respondent, role: .speaker,
            instructions: speakerInstructions, model: model)
        var options = WorldOptions(
            turnTaking: .roundRobin, termination: TerminationRules(maxTurns: 2, maxTurnsPerAgent: nil),
            scenario: interviewScenario, seed: unitSeed)
        memoryOptions(&options, model: model)
        let run = context.run
        let unitID = unit.id
        options.onTurn = { p in run.report("\(unitID): turn \(p.totalTurns) (\(p.speaker))") }
        var world = try World(agents: [interviewer, person], options: options)
        var phases: [JSONValue] = []
        if spec.interviewerPersona != nil {
            let turns = spec.questions.reduce(0) { $0 + 2 * (1 + $1.followUps) }
            try world.beginPhase(termination: TerminationRules(maxTurns: turns, maxTurnsPerAgent: nil))
            let end = try await world.run()
            phases.append(phaseRecord("interview", end))
        } else {
            for question in spec.questions {
                try world.beginPhase(
                    termination: TerminationRules(maxTurns: 2 * (1 + question.followUps), maxTurnsPerAgent: nil))
                try world.narrate("Ask now (\(question.id)): \(question.text)", to: .only([interviewer.id]))
                let end = try await world.run()
                phases.append(phaseRecord(question.id, end))
                if end.reason == .endpointUnusable || end.reason == .allLeft || end.reason == .moderatorClosed { break }
            }
        }
        return try await finish(
            world, phases: phases, extractFrom: world.transcript.events.filter { $0.audience == .everyone },
            model: model, leading: JSONObject([("persona", .string(respondent.id))]))
    }

    /// The world's log as run events: speakers as persona ids (or `interviewer`), with display names.
    func events(_ world: World) -> [RunEvent] {
        let roster = world.transcript.roster
        let personaOf: [(ParticipantID, String)] = world.agents.map { ($0.id, $0.profile.personaID ?? $0.id.raw) }
        return world.transcript.events.map { e in
            var data = JSONObject()
            if !e.addressees.isEmpty {
                data["to"] = .array(
                    e.addressees.map { id in .string(roster.first { $0.id == id }?.displayName ?? id.raw) })
            }
            if case .only(let ids) = e.audience { data["audience"] = .array(ids.map { .string($0.raw) }) }
            let speaker = e.speaker.map { id in personaOf.first { $0.0 == id }?.1 ?? id.raw }
            let name = e.speaker.map { id in roster.first { $0.id == id }?.displayName ?? id.raw }
            return RunEvent(
                seq: e.seq, kind: e.kind.rawValue, speaker: speaker, speakerName: name, content: e.content,
                data: data.count == 0 ? .null : .object(data))
        }
    }
}

/// The label of the phase a unit is in, read by its progress callback (which runs inside the world).
final class ActivityLabel: Sendable {
    private let text = Mutex(("", 0.0))
    /// Sets the label and the share of the unit done before the current phase.
    func set(_ value: String, start: Double = 0) { text.withLock { $0 = (value, start) } }
    func get() -> String { text.withLock { $0.0 } }
    /// The share of the unit done before the current phase.
    var start: Double { text.withLock { $0.1 } }
}
