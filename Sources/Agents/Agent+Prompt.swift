public import Inference
public import Memory

/// A turn's request and what its prompt showed and left out.
public struct TurnPrompt: Sendable {
    /// The request (before the structured-output chain adds its format).
    public var request: ChatRequest
    /// What the prompt showed, what the window, the memory budget and fitting left out.
    public var record: ContextRecord
}

/// Prompt assembly, laid out for provider prompt caching (OpenAI and vLLM cache by exact prefix).
///
/// A turn's messages are, in order:
/// 1. the **stable system message**: roster line, persona (the core, rendered once), role and
///    scenario instructions, the labelling convention and the action format — identical on every
///    turn of the agent while the roster does not change;
/// 2. the agent's egocentric projection of the history (only the ``AgentSettings/historyWindow``
///    when one is set), which only grows at its end between two moves of the window's cut;
/// 3. at the very end, appended to the last user message: the **volatile notes** only this agent
///    sees (the learned PersonaTree leaves, recalled moments, recent thoughts, behaviour guidance),
///    then the turn's cue.
///
/// So a changed memory or a new thought never invalidates the cached prefix of the history.
extension Agent {
    /// The stable system message: roster line, persona, instructions, scenario, the convention and
    /// the action format. Memory, recalled moments, thoughts and guidance are in ``privateNotes(for:recalled:memoryBudget:)``.
    public func systemMessage(for context: TurnContext) -> String {
        var sections: [String] = []
        let rosterLine = ProjectionText.rosterLine(for: id, roster: context.transcript.roster)
        sections.append(rosterLine.isEmpty ? "You are \(profile.displayName)." : rosterLine)
        let persona = profile.personaText
        if !persona.isEmpty { sections.append(persona) }
        if !instructions.isEmpty { sections.append(instructions) }
        if !context.scenario.isEmpty { sections.append(context.scenario) }
        sections.append(ProjectionText.convention)
        sections.append(actionInstructions)
        return sections.joined(separator: "\n\n")
    }

    /// The memory render of a turn: only the learned leaves when the persona core is already in the
    /// system message (a PersonaTree seeded from the persona), everything otherwise.
    func renderedMemory(budget: Int) -> RenderedMemory? {
        guard let memory else { return nil }
        return profile.personaText.isEmpty
            ? memory.render(budgetTokens: budget) : memory.renderLearned(budgetTokens: budget)
    }

    /// The volatile notes of a turn, shown after the history: what the agent learned (within
    /// `memoryBudget`), recalled moments, its recent thoughts and behaviour guidance. Empty when
    /// there is nothing to say.
    public func privateNotes(
        for context: TurnContext, recalled: [EpisodicDocument] = [], memoryBudget: Int? = nil
    ) -> (text: String, memory: RenderedMemory?) {
        var sections: [String] = []
        let memory = renderedMemory(budget: memoryBudget ?? settings.memoryBudgetTokens)
        if let memory, !memory.text.isEmpty {
            sections.append("What you have learned and remember:\n" + memory.text)
        }
        if !recalled.isEmpty {
            sections.append(
                "Earlier moments you recall (older than the conversation shown):\n"
                    + recalled.map { "- " + $0.text }.joined(separator: "\n"))
        }
        if settings.recentThoughts > 0 {
            var thoughts: [String] = []
            for event in context.transcript.events.reversed() where event.kind == .thought && event.speaker == id {
                thoughts.append(event.content)
                if thoughts.count == settings.recentThoughts { break }
            }
            if !thoughts.isEmpty {
                sections.append(
                    "Your recent private thoughts:\n" + thoughts.reversed().map { "- " + $0 }.joined(separator: "\n"))
            }
        }
        if let guidance = behaviour?.guidance(for: behaviourState(context)), !guidance.isEmpty {
            sections.append(guidance)
        }
        guard !sections.isEmpty else { return ("", memory) }
        return (
            "[\(context.projection.narratorLabel)] (Only you see this note.) " + sections.joined(separator: "\n\n"),
            memory
        )
    }

    /// The messages of a turn with the configured window and memory budget, unfitted.
    public func messages(
        for context: TurnContext, extraCue: String? = nil, recalled: [EpisodicDocument] = []
    ) throws(AgentError) -> [ChatMessage] {
        try assemble(
            context, extraCue: extraCue, recalled: recalled, window: settings.historyWindow,
            memoryBudget: settings.memoryBudgetTokens
        ).messages
    }

    /// The complete request of a turn, fitted to the model's context window when it is known.
    ///
    /// - Throws: ``AgentError``; an `InferenceError` (`promptTooLong`) when even the persona core,
    ///   the instructions and the cue do not fit the model's window.
    public func turnPrompt(for context: TurnContext, recalled: [EpisodicDocument] = []) throws -> TurnPrompt {
        let fit = try fitted(context, extraCue: nil, recalled: recalled, maxTokens: settings.maxTokens)
        let request = ChatRequest(
            messages: fit.messages, temperature: settings.temperature, maxTokens: settings.maxTokens,
            seed: Self.requestSeed(context.seed))
        return TurnPrompt(request: request, record: fit.record)
    }

    /// The complete request of a turn (before the structured-output chain adds its format), unfitted.
    public func prompt(for context: TurnContext, recalled: [EpisodicDocument] = []) throws(AgentError) -> ChatRequest {
        ChatRequest(
            messages: try messages(for: context, recalled: recalled), temperature: settings.temperature,
            maxTokens: settings.maxTokens,
            seed: Self.requestSeed(context.seed))
    }

    /// One assembly: the stable system message, the projection of the events `window` keeps, then
    /// the private notes and the cues at the end.
    func assemble(
        _ context: TurnContext, extraCue: String?, recalled: [EpisodicDocument], window: HistoryWindow?,
        memoryBudget: Int
    ) throws(AgentError) -> (messages: [ChatMessage], record: ContextRecord) {
        let visible = visibleCount(context)
        let log = window == nil ? context.transcript.events : events(context, window: window)
        let projected: [ProjectedMessage]
        do {
            projected = try project(
                log: log, viewer: id, roster: context.transcript.roster, system: systemMessage(for: context),
                config: context.projection)
        } catch {
            throw AgentError(.projection, "cannot project the log for \(id): \(error.message)", underlying: error)
        }
        var messages = projected.map(\.message)
        let notes = privateNotes(for: context, recalled: recalled, memoryBudget: memoryBudget)
        var tail: [String] = []
        if !notes.text.isEmpty { tail.append(notes.text) }
        for cue in [context.cue, extraCue].compactMap({ $0 }) where !cue.isEmpty {
            tail.append("[\(context.projection.narratorLabel)] \(cue)")
        }
        if !tail.isEmpty {
            let text = tail.joined(separator: "\n\n")
            if let last = messages.indices.last, messages[last].role == .user {
                messages[last].content += "\n\n" + text
            } else {
                messages.append(.user(text))
            }
        }
        let shown = window == nil ? visible : log.filter { isShown($0, context) }.count
        let record = ContextRecord(
            historyShown: shown, historyHidden: max(0, visible - shown), memoryShown: notes.memory?.shown ?? 0,
            memoryDropped: notes.memory?.droppedItems ?? [], recalled: recalled.count,
            promptTokens: PromptSize.estimate(messages))
        return (messages, record)
    }

    /// The events the agent sees (thoughts count as seen by their speaker).
    func visibleCount(_ context: TurnContext) -> Int {
        context.transcript.events.filter { isShown($0, context) }.count
    }

    func isShown(_ event: Event, _ context: TurnContext) -> Bool {
        guard let me = context.transcript.roster.first(where: { $0.id == id }) else { return true }
        return isVisible(event, to: me, backlog: context.projection.backlog)
    }

    /// The events a window keeps of what this agent saw.
    func events(_ context: TurnContext, window: HistoryWindow?) -> [Event] {
        let log = context.transcript.events
        guard let window, let me = context.transcript.roster.first(where: { $0.id == id }) else { return log }
        return ProjectionWindow.apply(
            log, viewer: me, first: window.first, last: window.last, step: window.step,
            backlog: context.projection.backlog)
    }
}
