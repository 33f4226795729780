import Agents
import AgoraTesting
import Memory
import Storage
import Testing
import Worlds

@Suite("World memory schedule")
struct WorldMemoryScheduleTests {
    /// Records who was updated with which chunk, without a model.
    struct RecordingUpdater: MemoryUpdater {
        func update(
            memory: (any AgentMemory)?, agent: AgentProfile, viewer: ParticipantID, chunk: [Event],
            roster: [Participant]
        ) async throws -> MemoryUpdate {
            MemoryUpdate(
                memory: NotesMemory(notes: chunk.map { "\($0.seq):\($0.content)" }), note: "chunk \(chunk.count)")
        }
    }

    @Test("speakers are updated every `memoryChunk` utterances; at the end, listeners who saw something too")
    func schedule() async throws {
        let (alex, _) = WorldFixture.talker("alex")
        let (bo, _) = WorldFixture.talker("bo")
        let (chen, _) = WorldFixture.talker("chen")
        var world = try World(
            agents: [alex, bo, chen],
            options: WorldOptions(
                turnTaking: .roundRobin, termination: TerminationRules(maxTurns: 4, maxTurnsPerAgent: nil),
                memoryUpdater: RecordingUpdater(), memoryChunk: 2))
        try await world.run()
        // Alex speaks at turns 0 and 3: updated after its 2nd utterance (seq 3); Bo and Chen spoke
        // once each and are flushed at the end; Alex has nothing new after seq 3.
        #expect(world.memoryNotes.map(\.participant.raw) == ["alex", "bo", "chen"])
        #expect(world.memoryNotes.map(\.throughSeq) == [3, 3, 3])

        // A phase where only Alex speaks: Bo and Chen only listen, and are still updated.
        try world.beginPhase(termination: TerminationRules(maxTurns: 1, maxTurnsPerAgent: nil))
        try await world.run()
        #expect(world.memoryNotes.suffix(3).map(\.participant.raw) == ["alex", "bo", "chen"])
        #expect(world.memoryNotes.suffix(3).allSatisfy { $0.throughSeq == 4 })
    }
}
