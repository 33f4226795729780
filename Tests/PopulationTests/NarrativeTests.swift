import AgoraTesting
import Foundation
import Inference
import Storage
import Testing

@testable import Population

@Suite("Narratives")
struct NarrativeTests {
    static func narrativeJSON(_ text: String) -> String {
        JSONValue.object(JSONObject([("narrative", .string(text)), ("psy.values_summary", "Values fairness.")]))
            .serialized()
    }

    @Test("The contradiction check catches a wrong sex, a wrong age and a wrong enum value")
    func contradictions() throws {
        let taxonomy = try DemoFixture.taxonomyValue()
        let persona = Persona(
            id: "p1", slot: 0,
            attributes: JSONObject([("demo.age", 34), ("demo.sex", "female"), ("geo.region", "south")]))
        #expect(
            NarrativeWriter.contradictions(
                "She is 34 years old and lives in the south.", persona: persona, taxonomy: taxonomy
            ).isEmpty)
        let wrong = NarrativeWriter.contradictions(
            "He is a 52-year-old man from the west.", persona: persona, taxonomy: taxonomy)
        #expect(Set(wrong.flatMap(\.attributeIDs)) == ["demo.age", "geo.region", "sex"])
    }

    @Test("Narratives: validator issues drive a revision; failures are recorded; the file resumes in slot order")
    func writeAndResume() async throws {
        let spec = try DemoFixture.spec()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("narr-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let out = directory + "/p.jsonl"
        // The model describes each person from the facts in the prompt; the validator objects once per person.
        let model = ScriptedModel { request in
            let prompt = request.messages.map(\.content).joined(separator: "\n")
            if prompt.contains("List real problems only") {
                let revised =
                    request.messages.first { $0.content.contains("Narrative:") }?.content.contains("(revised)") ?? false
                return revised
                    ? #"{"issues": []}"#
                    : #"{"issues": [{"code": "tone", "desc": "flat tone", "attributeIds": [], "hint": "add warmth"}]}"#
            }
            let age = prompt.components(separatedBy: "- demo.age: ").dropFirst().first?.prefix { $0.isNumber } ?? "?"
            let sex = prompt.contains("- demo.sex: Female") ? "She" : "He"
            let revised = request.messages.count > 2 ? " (revised)" : ""
            return NarrativeTests.narrativeJSON(
                "\(sex) is \(age) years old, and this narrative number \(request.sampleIndex) tells a unique story of slot \(prompt.utf8.count)\(revised)."
            )
        }
        let writer = NarrativeWriter(model: model)
        let summary = try await PersonaFactory.generate(
            spec: spec, count: 5, seed: 7, out: out, workers: 2, narratives: writer)
        #expect(summary.narratives.written + summary.narratives.failed == 5)
        let personas = try Persona.readJSONL(file: out)
        #expect(personas.map(\.slot) == [0, 1, 2, 3, 4])
        for persona in personas {
            #expect(persona.narrative != nil || persona.narrativeError != nil)
            if let narrative = persona.narrative {
                #expect(!narrative.isEmpty)
                #expect(narrative.contains("(revised)"))
                #expect(NarrativeWriter.contradictions(narrative, persona: persona, taxonomy: spec.taxonomy).isEmpty)
                #expect(persona.attributes["psy.values_summary"]?.stringValue == "Values fairness.")
            }
        }
        // Resume: cut the file after two lines plus a partial third; a rerun keeps them and completes the rest.
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        try (lines.prefix(2).joined(separator: "\n") + "\n" + lines[2].prefix(20)).write(
            toFile: out, atomically: true, encoding: .utf8)
        let before = model.requests.count
        _ = try await PersonaFactory.generate(spec: spec, count: 5, seed: 7, out: out, workers: 2, narratives: writer)
        let resumed = try Persona.readJSONL(file: out)
        #expect(resumed.map(\.slot) == [0, 1, 2, 3, 4])
        #expect(resumed.prefix(2).map(\.narrative) == personas.prefix(2).map(\.narrative))
        #expect(model.requests.count - before <= 3 * 4 + 2)
    }

    @Test("A model that fails records a clear error per persona, never an empty narrative")
    func failuresAreRecorded() async throws {
        let spec = try DemoFixture.spec()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("fail-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let model = ScriptedModel(replies: [])
        let summary = try await PersonaFactory.generate(
            spec: spec, count: 3, seed: 7, out: out, narratives: NarrativeWriter(model: model))
        #expect(summary.narratives.failed == 3)
        for persona in try Persona.readJSONL(file: out) {
            #expect(persona.narrative == nil)
            #expect(persona.narrativeError?.hasPrefix("model:") == true)
        }
    }

    /// Runs against the real local model whenever it is built (and always in CI); the suite runs serially
    /// (scripts/test.sh), so this slow test does not starve the others.
    @Test(
        "Integration: the local model writes 5 narratives that pass the contradiction check or record a failure",
        .enabled(if: LocalModelFixture.isAvailable),
        .timeLimit(.minutes(10)))
    func localModel() async throws {
        let model = try await LocalModelFixture.model()
        var settings = NarrativeSettings()
        settings.validator = false
        settings.maxTokens = 120
        settings.maxChars = 400
        settings.reviseRounds = 0
        settings.temperature = 0.3
        settings.concurrency = 1
        let spec = try DemoFixture.spec()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("local-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        _ = try await PersonaFactory.generate(
            spec: spec, count: 5, seed: 7, out: out, narratives: NarrativeWriter(model: model, settings: settings))
        let personas = try Persona.readJSONL(file: out)
        #expect(personas.count == 5)
        for persona in personas {
            if let narrative = persona.narrative {
                #expect(!narrative.isEmpty)
                #expect(NarrativeWriter.contradictions(narrative, persona: persona, taxonomy: spec.taxonomy).isEmpty)
            } else {
                #expect(persona.narrativeError?.isEmpty == false)
            }
        }
    }
}

@Suite("Import and export")
struct ImportExportTests {
    @Test("TinyTroupe agent specs round-trip; persona JSONL round-trips")
    func roundTrips() throws {
        let persona = Persona(
            id: "p000003", slot: 3, cell: "c", attributes: JSONObject([("demo.age", 41), ("demo.sex", "male")]),
            narrative: "He is 41.")
        let spec = TinyTroupe.agentSpec(persona)
        #expect(spec["type"]?.stringValue == "TinyPerson")
        let back = try TinyTroupe.persona(agentSpec: spec, slot: 3)
        #expect(back.id == "p000003")
        #expect(back.attributes == persona.attributes)
        #expect(back.narrative == "He is 41.")
        #expect(back.hash == persona.hash)
        let nested = try TinyTroupe.persona(
            agentSpec: try JSONValue.parse(
                #"{"type": "TinyPerson", "persona": {"name": "Ana", "age": 30, "occupation": {"title": "Nurse"}}}"#))
        #expect(nested.attributes["occupation.title"]?.stringValue == "Nurse")
        let line = try Persona(jsonLine: persona.jsonLine)
        #expect(line == persona)
    }
}
