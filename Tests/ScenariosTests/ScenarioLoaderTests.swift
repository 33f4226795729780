import Agents
import Environments
import Foundation
import Memory
import Runs
import Scenarios
import Storage
import Testing
import Worlds

@Suite("Scenario files")
struct ScenarioLoaderTests {
    func error(_ document: JSONValue) -> RunError? {
        do {
            _ = try Scenario.parse(document, file: "study.json")
            return nil
        } catch {
            return error
        }
    }

    func replacing(_ key: String, with value: JSONValue?) -> JSONValue {
        guard case .object(var o) = RunFixtures.surveyDocument else { return .null }
        o[key] = value
        return .object(o)
    }

    @Test("a valid survey parses with every item type")
    func validSurvey() throws {
        let scenario = try RunFixtures.surveyScenario()
        #expect(scenario.kind == .survey)
        #expect(
            scenario.survey?.items.map(\.typeName) == ["likert", "single-choice", "multiple-choice", "numeric", "open"])
        #expect(scenario.seed == 11)
        #expect(scenario.splitBy == ["sex"])
        #expect(scenario.digest.count == 64)
    }

    @Test("an unknown kind names the file, the path and the kinds to use")
    func unknownKind() throws {
        let e = try #require(error(replacing("kind", with: "surevy")))
        #expect(e.code == .invalidInput)
        #expect(e.file == "study.json")
        #expect(e.path == "$.kind")
        #expect(e.message.contains("unknown kind \"surevy\""))
        #expect(e.message.contains("did you mean \"survey\""))
        #expect(e.description.hasPrefix("study.json: $.kind: "))
    }

    @Test("a missing population says how to add one")
    func missingPopulation() throws {
        let e = try #require(error(replacing("population", with: nil)))
        #expect(e.path == "$.population")
        #expect(e.message.contains("missing"))
        #expect(e.message.contains("\"personas\""))
    }

    @Test("a persona file that does not exist is an error at its path")
    func missingPersonaFile() throws {
        let e = try #require(error(replacing("population", with: ["personas": "/nonexistent/people.jsonl"])))
        #expect(e.path == "$.population.personas")
        #expect(e.message.contains("does not exist"))
    }

    @Test("a Likert item without a scale is an error at the item")
    func likertWithoutScale() throws {
        guard case .object(var survey) = RunFixtures.surveyDocument["survey"] ?? .null else { return }
        survey["items"] = [["id": "q1", "type": "likert", "question": "Agree?"]]
        let e = try #require(error(replacing("survey", with: .object(survey))))
        #expect(e.path == "$.survey.items[0].scale")
        #expect(e.message.contains("a Likert item needs a scale"))
    }

    @Test("a moderator who is not a participant is an error")
    func moderatorNotParticipant() throws {
        let document: JSONValue = [
            "id": "fg", "kind": "focus-group",
            "population": ["inline": [["id": "mod"], ["id": "a"], ["id": "b"]]],
            "session": [
                "moderator": "mod", "participants": ["a", "b"], "phases": [["name": "warm-up", "topic": "Kettles"]],
            ],
        ]
        let e = try #require(error(document))
        #expect(e.path == "$.session.moderator")
        #expect(e.message.contains("is not a participant"))
    }

    @Test("a misspelt key is rejected with a suggestion")
    func misspeltKey() throws {
        guard case .object(var survey) = RunFixtures.surveyDocument["survey"] ?? .null else { return }
        survey["itmes"] = survey["items"]
        survey["items"] = nil
        let e = try #require(error(replacing("survey", with: .object(survey))))
        #expect(e.path == "$.survey.itmes")
        #expect(e.message.contains("did you mean \"items\""))
    }

    @Test("invalid JSON names the line and column", arguments: ["{\"id\": ", "[1, 2"])
    func invalidJSON(text: String) throws {
        let dir = RunFixtures.temporaryDirectory("bad")
        let file = dir.appendingPathComponent("bad.json")
        try Data(text.utf8).write(to: file)
        #expect(throws: RunError.self) { try Scenario.load(file: file.path) }
        do {
            _ = try Scenario.load(file: file.path)
        } catch {
            #expect(error.file == file.path)
            #expect(error.path?.hasPrefix("line ") == true)
        }
    }

    @Test("choice items need options; numeric bounds must be ordered")
    func itemChecks() throws {
        guard case .object(var survey) = RunFixtures.surveyDocument["survey"] ?? .null else { return }
        survey["items"] = [["id": "q", "type": "single-choice", "question": "Pick"]]
        #expect(error(replacing("survey", with: .object(survey)))?.path == "$.survey.items[0].options")
        survey["items"] = [["id": "q", "type": "numeric", "question": "How many?", "min": 5, "max": 1]]
        #expect(error(replacing("survey", with: .object(survey)))?.path == "$.survey.items[0].max")
        survey["items"] = [["id": "q", "type": "essay", "question": "Write"]]
        #expect(error(replacing("survey", with: .object(survey)))?.message.contains("unknown item type") == true)
    }
}
