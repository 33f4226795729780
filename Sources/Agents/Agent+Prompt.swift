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
///    opened by the **memory note** (the learned PersonaTree leaves, as of the window's last cut);
/// 3. at the very end, appended to the last user message: the **volatile notes** only this agent
///    sees (recalled moments, recent thoughts, behaviour guidance), then the turn's cue.
///
/// So a new thought never invalidates the cached prefix, and a changed memory only shows when the
/// window's cut moves (which changes the history after the head anyway).
extension Agent {
    /// The stable system message: roster line, persona, instructions, scenario, the convention and
    /// the action format. Memory, recalled moments, thoughts and guidance are notes in the history.
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

    /// The memory note: what the agent learned (within the budget), shown before the history.
    /// Empty when there is nothing to say.
    func memoryNote(_ memory: RenderedMemory?, narrator: String) -> String {
        guard let memory, !memory.text.isEmpty else { return "" }
        return "[\(narrator)] (Only you see this note.) What you have learned and remember:\n" + memory.text
    }

    /// The volatile notes of a turn, shown after the history: recalled moments, the agent's recent
    /// thoughts and behaviour guidance. Empty when there is nothing to say.
    public func privateNotes(for context: TurnContext, recalled: [EpisodicDocument] = []) -> String {
        var sections: [String] = []
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
        guard !sections.isEmpty else { return "" }
        return "[\(context.projection.narratorLabel)] (Only you see this note.) " + sections.joined(separator: "\n\n")
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

    /// One assembly: the stable system message, the memory note, the projection of the events
    /// `window` keeps, then the private notes and the cues at the end.
    ///
    /// The memory note is a snapshot taken when the window's cut last moved (``MemorySnapshot``):
    /// between two moves the request only grows at its end, so the whole prefix stays cacheable;
    /// what the agent learned since is still in the history shown verbatim.
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
        let shown = window == nil ? visible : log.filter { isShown($0, context) }.count
        // The configured window and budget use (and refresh) the snapshot; fitting renders anew.
        let cut: Int? =
            window != nil && window == settings.historyWindow && memoryBudget == settings.memoryBudgetTokens
            ? max(0, visible - shown) : nil
        let memory: RenderedMemory?
        var snapshot: MemorySnapshot?
        if let cut, let existing = memorySnapshot, existing.cut == cut {
            memory = existing.memory
            snapshot = existing
        } else {
            memory = renderedMemory(budget: memoryBudget)
            if let cut, let memory { snapshot = MemorySnapshot(cut: cut, memory: memory) }
        }
        var messages = projected.map(\.message)
        let note = memoryNote(memory, narrator: context.projection.narratorLabel)
        if !note.isEmpty {
            if messages.count > 1, messages[1].role == .user {
                messages[1].content = note + "\n\n" + messages[1].content
            } else {
                messages.insert(.user(note), at: min(1, messages.count))
            }
        }
        var tail: [String] = []
        let notes = privateNotes(for: context, recalled: recalled)
        if !notes.isEmpty { tail.append(notes) }
        for cue in [context.cue, extraCue].compactMap({ $0 }) where !cue.isEmpty {
            tail.append("[\(context.projection.narratorLabel)] \(cue)")
        }
        if !tail.isEmpty {
            let text = tail.joined(separator: "\n\n")
            if let last = messages.indices.last, last > 0, messages[last].role == .user {
                messages[last].content += "\n\n" + text
            } else {
                messages.append(.user(text))
            }
        }
        var record = ContextRecord(
            historyShown: shown, historyHidden: max(0, visible - shown), memoryShown: memory?.shown ?? 0,
            memoryDropped: memory?.droppedItems ?? [], recalled: recalled.count,
            promptTokens: PromptSize.estimate(messages))
        record.memorySnapshot = snapshot
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

/// The learned-memory render a turn showed, kept (``Agent/memorySnapshot``) until the history
/// window's cut moves, so the request prefix stays the same between two moves.
public struct MemorySnapshot: Sendable, Hashable {
    /// How many of the agent's visible events the window hid when it was taken.
    public var cut: Int
    /// The render.
    public var memory: RenderedMemory

    /// Creates a snapshot.
    public init(cut: Int, memory: RenderedMemory) {
        self.cut = cut
        self.memory = memory
    }
}
