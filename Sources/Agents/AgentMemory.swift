public import Inference
public import Memory

/// An agent's long-term memory as prompt assembly sees it: something that renders itself within a
/// token budget (spec memory.md §B.2.5).
///
/// Memory's `PersonaTree` is meant to conform (pruned outline, oldest grown leaves dropped first,
/// locked leaves never dropped); ``NotesMemory`` is a simple conformer for tests and fixed notes.
public protocol AgentMemory: Sendable {
    /// The text for the system message within `budgetTokens` (estimated as characters / 4).
    func render(budgetTokens: Int) -> RenderedMemory
    /// Only what the agent learned, within `budgetTokens`: what prompt assembly shows when the
    /// persona core is already in the prompt (so the core is not rendered twice and the whole
    /// budget goes to learned entries). The default is ``render(budgetTokens:)``.
    func renderLearned(budgetTokens: Int) -> RenderedMemory
}

extension AgentMemory {
    /// Everything: a memory without a persona core has nothing to leave out.
    public func renderLearned(budgetTokens: Int) -> RenderedMemory { render(budgetTokens: budgetTokens) }
}

/// A memory render and what the budget cost.
public struct RenderedMemory: Sendable, Hashable {
    /// The text put in the system message (empty: no memory section).
    public var text: String
    /// How many entries the budget dropped.
    public var dropped: Int
    /// The dropped entries (PersonaTree paths), in the order they were dropped.
    public var droppedItems: [String]
    /// How many entries the text shows.
    public var shown: Int

    /// Creates a render.
    public init(text: String, dropped: Int = 0, droppedItems: [String] = [], shown: Int = 0) {
        self.text = text
        self.dropped = dropped
        self.droppedItems = droppedItems
        self.shown = shown
    }

    /// The token estimate used for budgets everywhere in Agents: characters / 4, rounded up.
    public static func estimatedTokens(_ text: String) -> Int { (text.count + 3) / 4 }
}

/// A list of notes rendered one per line; over budget, the oldest notes are dropped first.
public struct NotesMemory: AgentMemory, Hashable {
    /// The notes, oldest first.
    public var notes: [String]

    /// Creates a memory from notes, oldest first.
    public init(notes: [String]) { self.notes = notes }

    /// Renders `- note` lines, dropping the oldest until the text fits `budgetTokens`.
    public func render(budgetTokens: Int) -> RenderedMemory {
        var kept = notes.map { "- " + $0 }
        var dropped = 0
        while !kept.isEmpty, RenderedMemory.estimatedTokens(kept.joined(separator: "\n")) > budgetTokens {
            kept.removeFirst()
            dropped += 1
        }
        return RenderedMemory(
            text: kept.joined(separator: "\n"), dropped: dropped, droppedItems: Array(notes.prefix(dropped)),
            shown: kept.count)
    }
}

/// Updates an agent's memory from what it experienced: the MemListener seam (spec memory.md §B.2.4).
///
/// The world engine calls it (when the world option is set) after each chunk of up to 3 exchanges
/// involving the agent, and once at the end. The chunk is the slice of the perspective-free log
/// since the agent's last update; an updater must read it only through the agent's visibility
/// (Memory's `MemListener.chunkText` projects it), so it never learns what the agent did not see (M1).
/// ``PersonaTreeUpdater`` wraps Memory's `MemListener`.
public protocol MemoryUpdater: Sendable {
    /// Returns the updated memory of `viewer` after the events of `chunk` (a slice of the log, in
    /// seq order); `roster` is the world's roster with current membership.
    func update(
        memory: (any AgentMemory)?, agent: AgentProfile, viewer: ParticipantID, chunk: [Event], roster: [Participant]
    ) async throws -> MemoryUpdate
}

/// What a ``MemoryUpdater`` returns.
public struct MemoryUpdate: Sendable {
    /// The new memory (or the old one when nothing changed).
    public var memory: (any AgentMemory)?
    /// Tokens the update cost (zero when the updater cannot tell).
    public var usage: Usage
    /// Model calls the update made.
    public var calls: Int
    /// A one-line account of what changed (e.g. `created 2, rejected(locked) 1`), for the run store.
    public var note: String
    /// The MemListener's full record (ops, outcomes, raw answers), when a `MemListener` ran.
    public var record: MemListenerRecord?

    /// Creates an update.
    public init(
        memory: (any AgentMemory)?, usage: Usage = Usage(), calls: Int = 0, note: String = "",
        record: MemListenerRecord? = nil
    ) {
        self.memory = memory
        self.usage = usage
        self.calls = calls
        self.note = note
        self.record = record
    }
}

/// A PersonaTree renders as the compact outline within the budget (spec memory.md §B.2.5): oldest
/// grown leaves dropped first, then schema leaves, never locked ones.
extension PersonaTree: AgentMemory {
    /// The outline render within `budgetTokens` (characters / 4).
    public func render(budgetTokens: Int) -> RenderedMemory {
        RenderedMemory(render(.outline, budget: budgetTokens))
    }

    /// The learned leaves only (locked persona-core leaves are the persona text's job), within
    /// `budgetTokens`; over budget, leaves are cut in the spec's salience order (§B.2.5).
    public func renderLearned(budgetTokens: Int) -> RenderedMemory {
        RenderedMemory(render(.outline, budget: budgetTokens, scope: .learned))
    }
}

extension RenderedMemory {
    init(_ render: TreeRender) {
        self.init(
            text: render.text, dropped: render.droppedLeaves,
            droppedItems: render.droppedPaths.map { $0.keys.joined(separator: ".") }, shown: render.shownLeaves)
    }
}

/// Updates an agent's `PersonaTree` with Memory's `MemListener`; any other memory is left as it is.
public struct PersonaTreeUpdater: MemoryUpdater {
    /// The listener (its model and limits).
    public var listener: MemListener

    /// Creates an updater.
    public init(listener: MemListener) { self.listener = listener }

    /// Runs one MemListener call on `chunk` and applies the ops strictly.
    public func update(
        memory: (any AgentMemory)?, agent: AgentProfile, viewer: ParticipantID, chunk: [Event], roster: [Participant]
    ) async throws -> MemoryUpdate {
        guard var tree = memory as? PersonaTree else {
            return MemoryUpdate(memory: memory, note: "memory is not a PersonaTree; not updated")
        }
        let record = await listener.update(&tree, log: chunk, viewer: viewer, roster: roster)
        var counts: [(String, Int)] = []
        for outcome in record.outcomes {
            let name = outcome.description
            if let i = counts.firstIndex(where: { $0.0 == name }) { counts[i].1 += 1 } else { counts.append((name, 1)) }
        }
        var note = counts.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
        if let failure = record.failure { note += (note.isEmpty ? "" : "; ") + "failed: " + failure }
        return MemoryUpdate(memory: tree, calls: max(1, record.raw.count), note: note, record: record)
    }
}
