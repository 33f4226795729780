import Agents
import AgoraTesting
import Inference
import Memory
import Testing
import Worlds

/// A small world on the real local model (llama.cpp + the default GGUF, SmolLM2-135M-Instruct): it must record valid events or
/// failed turns, never crash. Kept to 3 turns of 2 parties with small answers; the model is slow on this machine.
@Suite(.serialized, .enabled(if: LocalModelFixture.isAvailable), .timeLimit(.minutes(10)))
struct WorldLocalModelTests {
    @Test("a 2-party world on the local model records events or failed turns")
    func smallWorld() async throws {
        let model = try await LocalModelFixture.model()
        let settings = AgentSettings(temperature: 0.7, maxTokens: 48, regenerations: 0)
        func agent(_ raw: String, _ name: String, _ narrative: String, role: ParticipantRole = .speaker) -> Agent {
            Agent(
                id: ParticipantID(unchecked: raw), profile: AgentProfile(displayName: name, narrative: narrative),
                role: role, instructions: "Keep every answer to one short sentence.", model: model, settings: settings)
        }
        let alex = agent("alex", "Alex", "You are Alex, a nurse who cycles to work.")
        let bo = agent("bo", "Bo", "You are Bo, a student who prefers the bus.")
        var world = try World(
            agents: [alex, bo],
            options: WorldOptions(
                termination: TerminationRules(maxTurns: 3, stall: nil), scenario: "Topic: cycling to work.", seed: 5))
        let end = try await world.run()
        #expect(world.turns.count <= 3)
        #expect([.turnCap, .allPassed, .allLeft, .failures, .stalled].contains(end.reason))
        for turn in world.turns {
            // Either an action with its events, or a recorded failure with none.
            if let failure = turn.failure {
                #expect(turn.events.isEmpty, "failed turn \(turn.index) wrote events: \(failure)")
            } else {
                let action = try #require(turn.action)
                if case .speak(let content, _, _) = action { #expect(!content.isEmpty) }
            }
        }
        for event in world.transcript.events where event.kind == .utterance {
            #expect(!event.content.isEmpty)
        }
        #expect(world.modelCalls.allSatisfy { $0.purpose == .turn })
    }
}
