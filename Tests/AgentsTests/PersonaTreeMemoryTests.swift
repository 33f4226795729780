import Agents
import AgoraTesting
import Foundation
import Inference
import Memory
import Storage
import Testing

@Suite("PersonaTree as agent memory")
struct PersonaTreeMemoryTests {
    static func tree() -> PersonaTree {
        PersonaTree(
            schemaID: "test",
            root: .branch(
                key: "root",
                children: [
                    .branch(
                        key: "identity",
                        children: [
                            .leaf(key: "job", value: "nurse", origin: .schema, locked: true, updatedAt: 0),
                            .leaf(key: "city", value: "", origin: .schema, locked: false, updatedAt: 0),
                        ], origin: .schema),
                    .branch(
                        key: "preferences",
                        children: [.leaf(key: "transport", value: "", origin: .schema, locked: false, updatedAt: 0)],
                        origin: .schema),
                ], origin: .schema))
    }

    @Test("the rendered tree opens the history in a private note, not the system message; empty leaves are pruned")
    func rendered() throws {
        let alex = Agent(
            id: Fixture.alexID, profile: AgentProfile(displayName: "Alex"), model: ScriptedModel(replies: []),
            memory: Self.tree())
        let context = TurnContext(transcript: try Fixture.transcript())
        #expect(!alex.systemMessage(for: context).contains("job: nurse"))
        let first = try alex.messages(for: context)[1].content
        #expect(first.hasPrefix("[Narrator] (Only you see this note.) What you have learned and remember:"))
        #expect(first.contains("job: nurse"))
        #expect(!first.contains("city"))
    }

    @Test("PersonaTreeUpdater applies the MemListener's ops from the agent's own view")
    func updater() async throws {
        let listenerModel = ScriptedModel(replies: [
            #"{"ops": [{"op": "ADD", "path": "preferences.transport", "value": "bicycle"}]}"#
        ])
        let updater = PersonaTreeUpdater(listener: MemListener(model: listenerModel))
        var t = try Fixture.transcript()
        try t.append(speaker: Fixture.alexID, kind: .utterance, content: "I cycle to work every day.")
        let update = try await updater.update(
            memory: Self.tree(), agent: AgentProfile(displayName: "Alex"), viewer: Fixture.alexID, chunk: t.events,
            roster: t.roster)
        let tree = try #require(update.memory as? PersonaTree)
        #expect(tree.render(budgetTokens: 200).text.contains("transport: bicycle"))
        #expect(update.note.contains("set 1"))
        let sent = listenerModel.requests[0].messages.map(\.content).joined(separator: "\n")
        #expect(sent.contains("I cycle to work every day."))
        // Bo cannot see Chen's aside to Alex; Alex can, and its listener reads Alex's view.
        #expect(sent.contains("Psst, Alex."))
        let boModel = ScriptedModel(replies: [#"{"ops": [{"op": "NO_OP", "path": "", "value": ""}]}"#])
        _ = try await PersonaTreeUpdater(listener: MemListener(model: boModel)).update(
            memory: Self.tree(), agent: AgentProfile(displayName: "Bo"), viewer: Fixture.boID, chunk: t.events,
            roster: t.roster)
        let boSent = boModel.requests[0].messages.map(\.content).joined(separator: "\n")
        #expect(boSent.contains("I cycle to work every day."))
        #expect(!boSent.contains("Psst"))
    }

    @Test("a memory that is not a PersonaTree is left alone")
    func otherMemory() async throws {
        let model = ScriptedModel(replies: [])
        let update = try await PersonaTreeUpdater(listener: MemListener(model: model)).update(
            memory: NotesMemory(notes: ["x"]), agent: AgentProfile(displayName: "Alex"), viewer: Fixture.alexID,
            chunk: [], roster: Fixture.roster())
        #expect((update.memory as? NotesMemory)?.notes == ["x"])
        #expect(model.requests.isEmpty)
    }
}
