import Foundation
public import Inference
public import Memory
public import Storage

/// How an agent calls its model.
public struct AgentSettings: Sendable, Hashable {
    /// Sampling temperature for turns (`nil`: the provider's default).
    public var temperature: Double?
    /// Token limit of a turn's answer.
    public var maxTokens: Int?
    /// Token limit of an urge answer (self-selected turn taking).
    public var urgeMaxTokens: Int?
    /// Token budget of the memory section of the system message (characters / 4).
    public var memoryBudgetTokens: Int
    /// Extra generations when the sanitiser leaves nothing (spec memory.md §A.5.6, step 3).
    public var regenerations: Int
    /// How many of the agent's latest thoughts are shown in its system message.
    public var recentThoughts: Int
    /// The part of the history shown verbatim (`nil`: everything the agent saw).
    public var historyWindow: HistoryWindow?
    /// The agentic recall path (`nil`: off). It only runs when the window hides events.
    public var recall: RecallSettings?

    /// Creates settings.
    public init(
        temperature: Double? = 0.7, maxTokens: Int? = 300, urgeMaxTokens: Int? = 16, memoryBudgetTokens: Int = 400,
        regenerations: Int = 1, recentThoughts: Int = 3, historyWindow: HistoryWindow? = nil,
        recall: RecallSettings? = nil
    ) {
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.urgeMaxTokens = urgeMaxTokens
        self.memoryBudgetTokens = memoryBudgetTokens
        self.regenerations = regenerations
        self.recentThoughts = recentThoughts
        self.historyWindow = historyWindow
        self.recall = recall
    }
}

/// A simulated person (or a moderator, an interviewer): persona, memory, model and an optional
/// behaviour policy. One turn is one structured-output call that returns an ``AgentAction``.
///
/// The prompt is assembled fresh each turn (see ``prompt(for:)``): the system message holds the
/// roster line, the persona, role and scenario instructions, the rendered memory within its budget,
/// recent own thoughts, the labelling convention and the action format; the body is the agent's
/// egocentric projection of the log (Memory's `project`). Every generated text goes through
/// Memory's `OutputSanitizer`.
public struct Agent: Sendable {
    /// The participant id (never shown to models).
    public var id: ParticipantID
    /// Who the agent is.
    public var profile: AgentProfile
    /// Its role in the conversation.
    public var role: ParticipantRole
    /// Role instructions (e.g. "You moderate a focus group about …").
    public var instructions: String
    /// The model that writes its turns.
    public var model: any LanguageModel
    /// Long-term memory rendered into the system message (e.g. a PersonaTree).
    public var memory: (any AgentMemory)?
    /// An optional behaviour policy (simulated users).
    public var behaviour: (any BehaviourPolicy)?
    /// Tools the agent may call (adds `call_tool` to its action schema).
    public var tools: [ToolDefinition]
    /// Sampling and budget settings.
    public var settings: AgentSettings
    /// The learned-memory render of the agent's last turn and the window cut it was taken at; the
    /// world keeps it up to date (``ContextRecord/memorySnapshot``). `nil`: render every turn.
    public var memorySnapshot: MemorySnapshot?

    /// Creates an agent.
    public init(
        id: ParticipantID, profile: AgentProfile, role: ParticipantRole = .speaker, instructions: String = "",
        model: any LanguageModel, memory: (any AgentMemory)? = nil, behaviour: (any BehaviourPolicy)? = nil,
        tools: [ToolDefinition] = [], settings: AgentSettings = AgentSettings()
    ) {
        self.id = id
        self.profile = profile
        self.role = role
        self.instructions = instructions
        self.model = model
        self.memory = memory
        self.behaviour = behaviour
        self.tools = tools
        self.settings = settings
    }

    /// The roster entry for this agent (present from the start).
    public var participant: Participant {
        Participant(id: id, displayName: profile.displayName, role: role)
    }

    // MARK: Prompt assembly

    /// The action-format instructions of the system message.
    public var actionInstructions: String {
        var text = """
            Each turn, answer with one JSON object: {"action": "speak" | "think" | "pass" | "leave", \
            "to": [names], "private": true | false, "content": "..."}.
            - speak: say "content" to the room; put names in "to" to address people; with "private": true only they hear it.
            - think: a private thought no one else sees.
            - pass: stay silent this turn (content "").
            - leave: leave the conversation; "content" is an optional parting line.
            """
        if !tools.isEmpty {
            text +=
                "\n- call_tool: call the tool named in \"tool\" with JSON \"arguments\". Tools: "
                + tools.map { "\($0.name) (\($0.description))" }.joined(separator: "; ") + "."
        }
        return text
    }

    static func requestSeed(_ seed: UInt64) -> Int { Int(truncatingIfNeeded: seed & 0x7FFF_FFFF) }

    func behaviourState(_ context: TurnContext) -> BehaviourState {
        BehaviourState(ownTurns: context.ownTurns, turn: context.turn, round: context.round)
    }

    // MARK: Turns

    /// Takes one turn: asks the model for an action (one structured-output call; the generator runs
    /// one repair round), sanitises its text, resolves addressees, and regenerates when nothing is
    /// left. A model that fails yields a failed turn, never invented content.
    ///
    /// - Throws: ``AgentError`` for a log that cannot be projected, or `cancelled`.
    public func act(in context: TurnContext) async throws(AgentError) -> AgentTurn {
        if let forced = behaviour?.override(for: behaviourState(context)) {
            return AgentTurn(outcome: .action(forced))
        }
        var recallResult: RecallResult?
        if settings.recall != nil, settings.historyWindow != nil {
            recallResult = try await recall(in: context, shown: Set(shownEvents(context).map(\.seq)))
        }
        let assembled: TurnPrompt
        do {
            assembled = try turnPrompt(for: context, recalled: recallResult?.moments ?? [])
        } catch let error as InferenceError {
            // Too long for the model's window even after fitting: a configuration error that stops the run.
            var turn = AgentTurn(outcome: .failed(TurnFailure(.model, error.message, underlying: error)))
            turn.recall = recallResult?.record
            turn.calls = recallResult?.calls ?? 0
            turn.usage = recallResult?.usage ?? Usage()
            return turn
        } catch let error as AgentError {
            throw error
        } catch {
            throw AgentError(.invalidInput, "cannot assemble \(id)'s prompt: \(error)")
        }
        let request = assembled.request
        let generator = StructuredGenerator(model: model)
        let schema = AgentAction.schema(tools: tools)
        let sanitizer = OutputSanitizer(
            viewer: id, roster: context.transcript.roster, narratorLabel: context.projection.narratorLabel)
        var turn = AgentTurn(outcome: .failed(TurnFailure(.emptyContent, "no generation")))
        turn.context = assembled.record
        if let recallResult {
            turn.recall = recallResult.record
            turn.calls = recallResult.calls
            turn.usage = recallResult.usage
        }
        for attempt in 0...max(0, settings.regenerations) {
            var attemptRequest = request
            if attempt > 0 {
                attemptRequest.seed = Self.requestSeed(context.seed &+ UInt64(attempt))
                attemptRequest.sampleIndex = attempt
                turn.regenerations = attempt
            }
            let result: StructuredResult
            do {
                result = try await generator.generate(attemptRequest, schema: schema, name: "action")
            } catch {
                if error.code == .cancelled || Task.isCancelled {
                    throw AgentError(.cancelled, "\(id)'s turn was cancelled", underlying: error)
                }
                turn.calls += error.code == .invalidStructuredOutput ? 2 : 1
                let kind: TurnFailure.Kind = error.code == .invalidStructuredOutput ? .invalidAction : .model
                turn.outcome = .failed(TurnFailure(kind, error.message, underlying: error))
                return turn
            }
            turn.calls += result.attempts
            turn.usage = turn.usage + result.usage
            turn.raw.append(result.raw)
            let action: AgentAction
            do {
                action = try AgentAction(json: result.value)
            } catch {
                turn.outcome = .failed(TurnFailure(.invalidAction, error.message, underlying: error))
                return turn
            }
            switch resolve(action, sanitizer: sanitizer, roster: context.transcript.roster) {
            case .usable(let cleaned, let confused, let unknown):
                turn.roleConfusion = turn.roleConfusion || confused
                turn.unknownAddressees = unknown
                turn.outcome = .action(cleaned)
                return turn
            case .retry(let failure, let confused):
                turn.roleConfusion = turn.roleConfusion || confused
                turn.outcome = .failed(failure)
            }
        }
        return turn
    }

    private enum Resolution {
        case usable(AgentAction, roleConfusion: Bool, unknown: [String])
        case retry(TurnFailure, roleConfusion: Bool)
    }

    /// Sanitises the action's text and maps addressee names to roster display names.
    private func resolve(_ action: AgentAction, sanitizer: OutputSanitizer, roster: [Participant]) -> Resolution {
        switch action {
        case .pass:
            return .usable(.pass, roleConfusion: false, unknown: [])
        case .think(let content):
            let clean = sanitizer.sanitize(content)
            if clean.text.isEmpty {
                return .retry(
                    TurnFailure(.emptyContent, "the thought was empty after sanitising"),
                    roleConfusion: clean.roleConfusion)
            }
            return .usable(.think(content: clean.text), roleConfusion: clean.roleConfusion, unknown: [])
        case .leave(let content):
            let clean = sanitizer.sanitize(content)
            return .usable(.leave(content: clean.text), roleConfusion: clean.roleConfusion, unknown: [])
        case .callTool(let name, let arguments, let content):
            let clean = sanitizer.sanitize(content)
            return .usable(
                .callTool(name: name, arguments: arguments, content: clean.text), roleConfusion: clean.roleConfusion,
                unknown: [])
        case .speak(let content, let to, let isPrivate):
            let clean = sanitizer.sanitize(content)
            if clean.text.isEmpty {
                return .retry(
                    TurnFailure(.emptyContent, "the utterance was empty after sanitising"),
                    roleConfusion: clean.roleConfusion)
            }
            var names: [String] = []
            var unknown: [String] = []
            for raw in to {
                let wanted = raw.trimmingCharacters(in: [" ", "@"]).lowercased()
                if let match = roster.first(where: { $0.id != id && $0.displayName.lowercased() == wanted }) {
                    if !names.contains(match.displayName) { names.append(match.displayName) }
                } else if wanted != "everyone" && wanted != "all" && !wanted.isEmpty {
                    unknown.append(raw)
                }
            }
            // Roster order, as the projection lists them.
            names = roster.map(\.displayName).filter { names.contains($0) }
            if isPrivate && names.isEmpty {
                return .retry(
                    TurnFailure(.noAudience, "a private aside must name someone present; it named \(to)"),
                    roleConfusion: clean.roleConfusion)
            }
            return .usable(
                .speak(content: clean.text, to: names, isPrivate: isPrivate), roleConfusion: clean.roleConfusion,
                unknown: unknown)
        }
    }

    // MARK: Urge (self-selected turn taking)

    /// The JSON Schema of an urge answer: `{"urge": 0…9}`.
    public static let urgeSchema: JSONValue = .object(
        JSONObject([
            ("type", "object"),
            (
                "properties",
                .object(
                    JSONObject([("urge", .object(JSONObject([("type", "integer"), ("minimum", 0), ("maximum", 9)])))]))
            ),
            ("required", ["urge"]), ("additionalProperties", false),
        ]))

    /// The narrator question of an urge call.
    public static let urgeQuestion =
        "Before anyone speaks next: how strongly do you want to speak now, from 0 (not at all) to 9 (you must speak now)? Answer {\"urge\": n}."

    /// Asks how strongly the agent wants to speak next (0–9): a cheap structured call on the same
    /// prompt as a turn plus a narrator question. A failed call yields `score == nil`.
    ///
    /// - Throws: ``AgentError`` for a log that cannot be projected, or `cancelled`.
    public func urge(in context: TurnContext) async throws(AgentError) -> UrgeResult {
        let messages: [ChatMessage]
        do {
            messages = try fitted(context, extraCue: Self.urgeQuestion, recalled: [], maxTokens: settings.urgeMaxTokens)
                .messages
        } catch let error as InferenceError {
            return UrgeResult(score: nil, failure: error.message)
        } catch let error as AgentError {
            throw error
        } catch {
            throw AgentError(.invalidInput, "cannot assemble \(id)'s prompt: \(error)")
        }
        let request = ChatRequest(
            messages: messages, temperature: settings.temperature,
            maxTokens: settings.urgeMaxTokens, seed: Self.requestSeed(context.seed))
        do {
            let result = try await StructuredGenerator(model: model).generate(
                request, schema: Self.urgeSchema, name: "urge")
            guard let score = result.value["urge"]?.intValue, (0...9).contains(score) else {
                return UrgeResult(score: nil, failure: "urge out of range", usage: result.usage, calls: result.attempts)
            }
            return UrgeResult(score: Int(score), usage: result.usage, calls: result.attempts)
        } catch {
            if error.code == .cancelled || Task.isCancelled {
                throw AgentError(.cancelled, "\(id)'s urge call was cancelled", underlying: error)
            }
            return UrgeResult(score: nil, failure: error.message, calls: error.code == .invalidStructuredOutput ? 2 : 1)
        }
    }
}
