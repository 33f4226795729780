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
}

/// A memory render and what the budget cost.
public struct RenderedMemory: Sendable, Hashable {
    /// The text put in the system message (empty: no memory section).
    public var text: String
    /// How many entries the budget dropped.
    public var dropped: Int

    /// Creates a render.
    public init(text: String, dropped: Int = 0) {
        self.text = text
        self.dropped = dropped
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
        return RenderedMemory(text: kept.joined(separator: "\n"), dropped: dropped)
    }
}

/// Updates an agent's memory from what it experienced: the MemListener seam (spec memory.md §B.2.4).
///
/// The world engine calls it (when the world option is set) after each chunk of up to 3 exchanges
/// involving the agent, and once at the end. Its input is the agent's own projection of the chunk
/// only (invariant M1), so it can never learn what the agent did not see.
public protocol MemoryUpdater: Sendable {
    /// Returns the updated memory for `agent` after it experienced `chunk` (its projected messages,
    /// system message excluded); `throughSeq` is the last log seq covered (for `updatedAt` stamps).
    func update(
        memory: (any AgentMemory)?, agent: AgentProfile, chunk: [ProjectedMessage], throughSeq: Int
    ) async throws -> MemoryUpdate
}

/// What a ``MemoryUpdater`` returns.
public struct MemoryUpdate: Sendable {
    /// The new memory (or the old one when nothing changed).
    public var memory: (any AgentMemory)?
    /// Tokens the update cost.
    public var usage: Usage
    /// Model calls the update made.
    public var calls: Int
    /// A one-line account of what changed (e.g. `2 created, 1 rejected(locked)`), for the run store.
    public var note: String

    /// Creates an update.
    public init(memory: (any AgentMemory)?, usage: Usage = Usage(), calls: Int = 0, note: String = "") {
        self.memory = memory
        self.usage = usage
        self.calls = calls
        self.note = note
    }
}
