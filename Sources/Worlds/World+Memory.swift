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
        guard let updater = options.memoryUpdater else { return }
        for i in parties.indices where parties[i] is Agent && (exchangesSinceUpdate[i] > 0 || sawSinceUpdate(i)) {
            try await updateMemory(i, updater: updater)
        }
    }

    /// Whether party `i` saw an event other than a thought since its last memory update.
    func sawSinceUpdate(_ i: Int) -> Bool {
        let me = transcript.roster[i]
        let since = memoryThrough[i]
        return transcript.events.contains {
            $0.seq > since && $0.kind != .thought && isVisible($0, to: me, backlog: options.projection.backlog)
        }
    }

    mutating func updateMemory(_ i: Int, updater: any MemoryUpdater) async throws {
        guard var agent = parties[i] as? Agent else { return }
        let since = memoryThrough[i]
        let chunk = transcript.events.filter { $0.seq > since }
        let through = transcript.events.last?.seq ?? since
        exchangesSinceUpdate[i] = 0
        memoryThrough[i] = through
        guard !chunk.isEmpty else { return }
        do {
            let update = try await updater.update(
                memory: agent.memory, agent: agent.profile, viewer: agent.id, chunk: chunk, roster: transcript.roster)
            agent.memory = update.memory
            parties[i] = agent
            memoryNotes.append(
                MemoryNote(participant: agent.id, throughSeq: through, note: update.note, record: update.record))
            modelCalls.append(
                ModelCallRecord(
                    purpose: .memory, participant: agent.id, turn: turns.count, model: agent.model.identifier,
                    usage: update.usage, calls: update.calls, failure: update.record?.failure))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            modelCalls.append(
                ModelCallRecord(
                    purpose: .memory, participant: agent.id, turn: turns.count, model: agent.model.identifier,
                    usage: Usage(), calls: 1, failure: "\(error)"))
        }
    }
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
