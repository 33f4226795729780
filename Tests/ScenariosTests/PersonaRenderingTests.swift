import Agents
import AgoraTesting
import Foundation
import Inference
import Population
import Runs
import Scenarios
import Storage
import Testing

/// Every role of a scenario renders its persona with the one renderer, `Persona.promptText`.
@Suite("Persona rendering in scenarios")
struct PersonaRenderingTests {
    /// Two people written inline, with narratives and attributes of several types.
    static let people = """
        [
          {"id": "dana", "name": "Dana", "attributes": {"name": "Dana", "job": "moderator", "years": 12},
           "narrative": "Dana has run focus groups for a decade."},
          {"id": "p1", "name": "Ana", "attributes": {"age": 34, "smoker": false, "languages": ["en", "es"]},
           "narrative": "Ana teaches maths in Leeds."}
        ]
        """

    static func persona(_ scenario: Scenario, _ id: String) throws -> Persona {
        try #require(scenario.population.inline.first { $0.id == id })
    }

    /// The system messages the model received, in the order it received them.
    static func systems(_ model: ScriptedModel) -> [String] {
        model.requests.compactMap { request in request.messages.first { $0.role == .system }?.content }
    }

    @Test("a survey respondent's system message is 'You are NAME.', the persona block, then the instructions")
    func surveyRespondent() async throws {
        let scenario = try Scenario.parse(
            try JSONValue.parse(
                """
                {"id": "s", "kind": "survey", "title": "S", "seed": 1, "population": {"inline": \(Self.people)},
                 "survey": {"instructions": "Answer honestly.",
                            "items": [{"id": "q", "type": "single-choice", "question": "Tea?", "options": ["Yes", "No"]}]}}
                """))
        let model = RunFixtures.scriptedModel()
        let summary = try await RunFixtures.run(scenario, model: model)
        #expect(summary.unitsDone == 2)
        let ana = try Self.persona(scenario, "p1")
        #expect(
            ana.promptText == "Ana teaches maths in Leeds.\n\nAbout you:\n- age: 34\n- smoker: no\n- languages: en, es")
        let expected = "You are Ana.\n\n" + ana.promptText + "\n\nYou are taking part in a survey. Answer honestly."
        #expect(Self.systems(model).contains(expected))
    }

    @Test("moderators, interviewers and participants carry their own persona block, rendered the same way")
    func conversationRoles() async throws {
        let session = """
            {"id": "fg", "kind": "focus-group", "title": "Tea", "seed": 3, "population": {"inline": \(Self.people)},
             "session": {"moderator": "dana", "participants": ["dana", "p1"], "turnTaking": "round-robin",
                         "phases": [{"name": "warm-up", "topic": "Tea or coffee?", "turns": 2}]}}
            """
        let interview = """
            {"id": "iv", "kind": "interview", "title": "Tea", "seed": 5, "population": {"inline": \(Self.people)},
             "interview": {"interviewer": {"persona": "dana"}, "questions": [{"id": "q", "text": "Why tea?", "followUps": 0}]}}
            """
        for text in [session, interview] {
            let scenario = try Scenario.parse(try JSONValue.parse(text))
            let model = RunFixtures.scriptedModel()
            _ = try await RunFixtures.run(scenario, model: model)
            let systems = Self.systems(model)
            for id in ["dana", "p1"] {
                let persona = try Self.persona(scenario, id)
                let other = try Self.persona(scenario, id == "dana" ? "p1" : "dana")
                // The roster line names the speaker, then the persona block follows after a blank line.
                let own = systems.filter { $0.hasPrefix("You are \(persona.displayName).") }
                #expect(!own.isEmpty, "\(scenario.id): no turn of \(id)")
                #expect(own.allSatisfy { $0.contains("\n\n" + persona.promptText + "\n\n") }, "\(scenario.id) \(id)")
                #expect(own.allSatisfy { !$0.contains(other.narrative ?? "?") }, "\(scenario.id) \(id)")
            }
        }
    }

    @Test("the run store keeps each persona in the short form runs have always stored")
    func storedForm() async throws {
        let scenario = try RunFixtures.surveyScenario()
        let summary = try await RunFixtures.run(scenario, model: RunFixtures.scriptedModel())
        let stored = try await RunStore.open(summary.directory).personas()
        #expect(
            stored.first?.json.serialized()
                == #"{"id":"p1","name":"Person 1","attributes":{"age":27,"sex":"male","region":"south"}}"#)
        #expect(stored.map(\.id) == scenario.population.inline.map(\.id))
    }
}
