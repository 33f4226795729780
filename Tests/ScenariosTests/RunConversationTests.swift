import Agents
import AgoraTesting
import Environments
import Foundation
import Inference
import Memory
import Runs
import Scenarios
import Storage
import Synchronization
import Testing
import Worlds

@Suite("Conversation runs (interview, focus group, brainstorm)")
struct RunConversationTests {
    static let words = [
        "price", "quality", "battery", "colour", "weight", "repair", "warranty", "design", "noise", "speed", "comfort",
        "safety", "charging", "storage", "service", "delivery", "brand", "value", "durability", "size", "apps", "music",
        "cooking", "garden", "travel", "budget", "family", "work", "school", "sport",
    ]

    /// A deterministic instance of `schema`, varied by `h` (actions get varied, non-empty content).
    static func instance(_ schema: JSONValue, h: UInt64) -> JSONValue {
        switch schema["type"]?.stringValue {
        case "object":
            var o = JSONObject()
            let properties = schema["properties"]?.objectValue ?? JSONObject()
            for (index, (key, sub)) in properties.enumerated() {
                if key == "action" {
                    o[key] = "speak"
                    continue
                }
                if key == "private" || key == "end" {
                    o[key] = false
                    continue
                }
                if key == "to" {
                    o[key] = []
                    continue
                }
                if key == "tool" {
                    o[key] = ""
                    continue
                }
                o[key] = instance(sub, h: h &+ UInt64(index) &* 0x9E37_79B9)
            }
            return .object(o)
        case "array":
            let count = max(1, Int(schema["minItems"]?.intValue ?? 1))
            return .array((0..<count).map { instance(schema["items"] ?? ["type": "string"], h: h &+ UInt64($0)) })
        case "integer":
            return .integer(schema["minimum"]?.intValue ?? 0)
        case "number":
            return .number(schema["minimum"]?.doubleValue ?? 0)
        case "boolean":
            return false
        default:
            if let options = schema["enum"]?.arrayValue, !options.isEmpty {
                return options[Int(h % UInt64(options.count))]
            }
            var x = h
            var picked: [String] = []
            for _ in 0..<6 {
                picked.append(words[Int(x % UInt64(words.count))])
                x = x / UInt64(words.count) &+ 0x2545_F491_4F6C_DD1D &* (x | 1)
            }
            let text = "I care about " + picked.joined(separator: " and ") + "."
            let limit = Int(schema["maxLength"]?.intValue ?? 1000)
            return .string(String(text.prefix(limit)))
        }
    }

    static func model() -> ScriptedModel {
        ScriptedModel(rule: { request in
            guard case .jsonSchema(_, let schema, _) = request.responseFormat else { return "Fine." }
            let text = request.messages.map(\.content).joined(separator: "\n")
            let digest = SHA256.digest(Array(text.utf8))
            let h = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return instance(schema, h: h).serialized()
        })
    }

    static let personas = """
        [
          {"id": "mod", "name": "Dana", "attributes": {"job": "moderator"}},
          {"id": "a1", "name": "Alex", "attributes": {"age": 31, "sex": "male"}},
          {"id": "b2", "name": "Bea", "attributes": {"age": 44, "sex": "female"}},
          {"id": "c3", "name": "Chen", "attributes": {"age": 58, "sex": "male"}}
        ]
        """

    static func scenario(_ body: String) throws -> Scenario {
        try Scenario.parse(try JSONValue.parse(body))
    }

    static var focusGroup: String {
        """
        {"id": "fg", "kind": "focus-group", "title": "E-bikes", "seed": 3,
         "population": {"inline": \(personas)},
         "generation": {"turnMaxTokens": 80},
         "session": {"moderator": "mod", "participants": ["mod", "a1", "b2", "c3"], "turnTaking": "round-robin",
                     "phases": [{"name": "warm-up", "topic": "How do you get to work?", "turns": 4},
                                {"name": "concept", "topic": "Would you ride an e-bike?", "instructions": "Be concrete.", "turns": 4}]}}
        """
    }

    @Test("a focus group runs its phases on the world engine and extracts positions")
    func focusGroupRuns() async throws {
        let model = Self.model()
        let summary = try await RunFixtures.run(try Self.scenario(Self.focusGroup), model: model)
        #expect(summary.unitsDone == 1)
        let line = try RunFixtures.read(summary.directory, "transcripts.jsonl").split(separator: "\n")
        #expect(line.count == 1)
        let transcript = try JSONValue.parse(String(line[0]))
        let participants = transcript["participants"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(participants.contains("Dana") && participants.contains("Alex"))
        #expect(
            transcript["participants"]?.arrayValue?.first { $0["name"]?.stringValue == "Dana" }?["role"]?.stringValue
                == "moderator")
        let phases = transcript["result"]?["phases"]?.arrayValue ?? []
        #expect(phases.count == 2)
        #expect(phases.allSatisfy { $0["termination"]?.stringValue == "turnCap" })
        #expect(transcript["result"]?["extracted"]?["positions"] != nil)
        let results = try JSONValue.parse(try RunFixtures.read(summary.directory, "results.json"))
        #expect(results["metrics"]?["echoRate"]?.doubleValue != nil)
        #expect(results["extracted"]?.arrayValue?.count == 1)
        #expect(results["termination"]?[0]?["reason"]?.stringValue == "turnCap")
    }

    @Test("a brainstorm with moderator-directed turns extracts ideas; concurrency does not change outputs")
    func brainstorm() async throws {
        let text = Self.focusGroup.replacingOccurrences(of: "\"focus-group\"", with: "\"brainstorm\"")
            .replacingOccurrences(of: "\"round-robin\"", with: "\"moderator\"")
            .replacingOccurrences(of: "\"id\": \"fg\"", with: "\"id\": \"bs\"")
            .replacingOccurrences(of: "\"phases\"", with: "\"sessions\": 3, \"phases\"")
        let one = try await RunFixtures.run(try Self.scenario(text), model: Self.model(), concurrency: 1)
        let three = try await RunFixtures.run(try Self.scenario(text), model: Self.model(), concurrency: 3)
        #expect(one.unitsDone == 3)
        for name in ["transcripts.jsonl", "results.json", "report.html"] {
            #expect(try RunFixtures.read(one.directory, name) == RunFixtures.read(three.directory, name), "\(name)")
        }
        let results = try JSONValue.parse(try RunFixtures.read(one.directory, "results.json"))
        #expect(results["extracted"]?[0]?["result"]?["extracted"]?["ideas"]?.arrayValue?.isEmpty == false)
    }

    @Test("a long unit reports its phase, turn and speaker to the progress display as it goes")
    func progressInsideAUnit() async throws {
        let seen = Mutex<[String]>([])
        let monitor = RunMonitor(onChange: { counts in
            if let activity = counts.activity { seen.withLock { if $0.last != activity { $0.append(activity) } } }
        })
        _ = try await ScenarioRunner.run(
            scenario: try Self.scenario(Self.focusGroup), model: Self.model(),
            options: RunOptions(outDirectory: RunFixtures.temporaryDirectory()), monitor: monitor)
        let activities = seen.withLock { $0 }
        #expect(activities.first == "session-1: phase 1/2 warm-up, turn 1/4 (Dana)")
        #expect(activities.contains("session-1: phase 2/2 concept, turn 4/4 (Chen)"))
    }

    @Test("a brainstorm with simultaneous rounds: everyone speaks each round, seeing only earlier rounds")
    func simultaneousBrainstorm() async throws {
        let text = Self.focusGroup.replacingOccurrences(of: "\"focus-group\"", with: "\"brainstorm\"")
            .replacingOccurrences(of: "\"round-robin\"", with: "\"simultaneous\"")
            .replacingOccurrences(of: "\"id\": \"fg\"", with: "\"id\": \"sim\"")
        let model = Self.model()
        let summary = try await RunFixtures.run(try Self.scenario(text), model: model)
        #expect(summary.unitsDone == 1)
        let transcript = try JSONValue.parse(
            String(try RunFixtures.read(summary.directory, "transcripts.jsonl").split(separator: "\n")[0]))
        let speakers = (transcript["events"]?.arrayValue ?? []).filter { $0["kind"] == "utterance" }
            .compactMap { $0["name"]?.stringValue }
        // Each phase of 4 turns is one round of the 4 participants, appended in roster order.
        #expect(speakers == ["Dana", "Alex", "Bea", "Chen", "Dana", "Alex", "Bea", "Chen"])
        // In a round, nobody's request holds a line spoken in that same round.
        let turns = model.requests.filter {
            if case .jsonSchema(let name, _, _) = $0.responseFormat { return name != "extraction" }
            return false
        }
        let firstRound = Array(turns.prefix(4))
        let spoken = (transcript["events"]?.arrayValue ?? []).filter { $0["kind"] == "utterance" }.prefix(4)
            .compactMap { $0["content"]?.stringValue }
        for request in firstRound {
            let text = request.messages.map(\.content).joined(separator: "\n")
            #expect(spoken.allSatisfy { !text.contains($0) })
        }
    }

    @Test("an interview asks the scripted questions with follow-ups and extracts an answer per question")
    func interview() async throws {
        let text = """
            {"id": "iv", "kind": "interview", "title": "Commuting", "seed": 5,
             "population": {"inline": \(Self.personas)},
             "interview": {"questions": [{"id": "commute", "text": "How do you get to work?"},
                                         {"id": "change", "text": "What would make you switch?", "followUps": 0}]}}
            """
        let model = Self.model()
        let summary = try await RunFixtures.run(try Self.scenario(text), model: model, limit: 2)
        #expect(summary.unitsDone == 2)
        let first = try JSONValue.parse(
            String(try RunFixtures.read(summary.directory, "transcripts.jsonl").split(separator: "\n")[0]))
        let phases = first["result"]?["phases"]?.arrayValue ?? []
        #expect(phases.map { $0["name"]?.stringValue ?? "" } == ["commute", "change"])
        #expect(phases.map { $0["turn"]?.intValue ?? 0 } == [4, 6])
        let extracted = first["result"]?["extracted"]
        #expect(extracted?["commute"]?.stringValue != nil)
        #expect(extracted?["change"]?.stringValue != nil)
        let interviewerRole = first["participants"]?.arrayValue?.first { $0["id"]?.stringValue == "interviewer" }?[
            "role"]?.stringValue
        #expect(interviewerRole == "interviewer")
    }
}
