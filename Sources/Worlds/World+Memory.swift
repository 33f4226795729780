import Agents
import Inference
public import Memory

/// The MemListener schedule: when each agent's long-term memory is updated (spec memory.md §B.2.4).
/// Only LLM ``Agent`` parties have memory; other parties are skipped.
extension World {
    /// Runs the pending memory updates (the end-of-session chunk, as `MemListenerSchedule` ends it):
    /// every agent that spoke, or saw anything other than a thought, since its last update — a
    /// listener learns about the others too. `run()` calls it at the end of each phase.
    public mutating func flushMemory() async throws {
        guard let updater = options.memoryUpdater else { return try await settleAllMemory() }
        for i in parties.indices where parties[i] is Agent && (exchangesSinceUpdate[i] > 0 || sawSinceUpdate(i)) {
            try await updateMemory(i, updater: updater)
        }
        try await settleAllMemory()
    }

    /// Whether party `i` saw an event other than a thought since its last memory update.
    func sawSinceUpdate(_ i: Int) -> Bool {
        let me = transcript.roster[i]
        let since = memoryThrough[i]
        return transcript.events.contains {
            $0.seq > since && $0.kind != .thought && isVisible($0, to: me, backlog: options.projection.backlog)
        }
    }

    /// Starts (or, in the foreground, runs) the memory update of party `i` with the events since
    /// its last update.
    mutating func updateMemory(_ i: Int, updater: any MemoryUpdater) async throws {
        // Settle first: the new update must start from the tree the previous one produced.
        try await settleMemory(i)
        guard let agent = parties[i] as? Agent else { return }
        let since = memoryThrough[i]
        let chunk = transcript.events.filter { $0.seq > since }
        let through = transcript.events.last?.seq ?? since
        exchangesSinceUpdate[i] = 0
        memoryThrough[i] = through
        guard !chunk.isEmpty else { return }
        let (memory, profile, id, roster) = (agent.memory, agent.profile, agent.id, transcript.roster)
        let task = Task<Result<MemoryUpdate, any Error>, Never> {
            do {
                return .success(
                    try await updater.update(memory: memory, agent: profile, viewer: id, chunk: chunk, roster: roster))
            } catch {
                return .failure(error)
            }
        }
        pendingMemory[i] = PendingMemoryUpdate(task: task, through: through, turn: turns.count)
        if !options.memoryInBackground { try await settleMemory(i) }
    }

    /// Before party `i` acts: applies its background memory update once a full round of turns
    /// (one per party) has passed since the update started, waiting for it if needed; a younger
    /// update stays pending. The rule depends only on turn counts, so outputs do not depend on
    /// timing, and a round-robin speaker never waits for the update its listeners just started.
    /// (The memory a prompt shows changes only when the history window's cut moves, so one
    /// round of lag costs nothing there.) In the foreground every update is applied at once.
    mutating func settleMemoryBeforeActing(_ i: Int) async throws {
        guard let pending = pendingMemory[i] else { return }
        if options.memoryInBackground, turns.count - pending.turn < parties.count { return }
        try await settleMemory(i)
    }

    /// Waits for party `i`'s running memory update, if any, and applies it.
    mutating func settleMemory(_ i: Int) async throws {
        guard let pending = pendingMemory[i] else { return }
        pendingMemory[i] = nil
        guard var agent = parties[i] as? Agent else { return }
        let task = pending.task
        let outcome = await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            task.cancel()
        }
        switch outcome {
        case .success(let update):
            agent.memory = update.memory
            parties[i] = agent
            memoryNotes.append(
                MemoryNote(
                    participant: agent.id, throughSeq: pending.through, note: update.note, record: update.record))
            modelCalls.append(
                ModelCallRecord(
                    purpose: .memory, participant: agent.id, turn: pending.turn, model: agent.model.identifier,
                    usage: update.usage, calls: update.calls, failure: update.record?.failure))
        case .failure(let error):
            if error is CancellationError || Task.isCancelled { throw CancellationError() }
            modelCalls.append(
                ModelCallRecord(
                    purpose: .memory, participant: agent.id, turn: pending.turn, model: agent.model.identifier,
                    usage: Usage(), calls: 1, failure: "\(error)"))
        }
    }

    /// Waits for every running memory update, in roster order.
    mutating func settleAllMemory() async throws {
        for i in pendingMemory.indices where pendingMemory[i] != nil { try await settleMemory(i) }
    }

    /// Cancels running memory updates (the world stopped with an error).
    func cancelPendingMemory() {
        for pending in pendingMemory { pending?.task.cancel() }
    }
}

/// A memory update running in the background.
struct PendingMemoryUpdate: Sendable {
    let task: Task<Result<MemoryUpdate, any Error>, Never>
    /// The last log seq it covers.
    let through: Int
    /// The world turn index when it started.
    let turn: Int
}

/// One memory update made by the world's ``MemoryUpdater``.
public struct MemoryNote: Sendable {
    /// Whose memory changed.
    public var participant: ParticipantID
    /// The last log seq the update covered.
    public var throughSeq: Int
    /// The updater's account of what changed.
    public var note: String
    /// The MemListener's record (ops and outcomes), when one ran.
    public var record: MemListenerRecord?
}
