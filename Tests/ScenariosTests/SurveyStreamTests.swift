import AgoraTesting
import Foundation
import Inference
import Runs
import Storage
import Testing

@testable import Runs
@testable import Scenarios

/// Streamed survey outputs (read from the store page by page) against the outputs built from the
/// whole stored data, on seeded random populations and answers.
@Suite("Survey outputs streamed from the run store")
struct SurveyStreamTests {
    /// `count` inline personas with seeded random attributes: some lack `region`, and `income`
    /// appears only from the middle of the population on.
    static func population(_ count: Int, seed: UInt64) -> JSONValue {
        var random = SplitMix64(seed: seed)
        let regions = ["north", "south", "east", "west"]
        let people: [JSONValue] = (0..<count).map { i in
            var attributes = JSONObject([("age", .integer(Int64(18 + random.next() % 70)))])
            attributes["sex"] = .string(random.next() % 2 == 0 ? "female" : "male")
            if random.next() % 5 != 0 { attributes["region"] = .string(regions[Int(random.next() % 4)]) }
            if i >= count / 2 { attributes["income"] = .integer(Int64(random.next() % 5)) }
            return .object(
                JSONObject([("id", .string("r\(i)")), ("name", .string("R \(i)")), ("attributes", .object(attributes))])
            )
        }
        return .object(JSONObject([("inline", .array(people))]))
    }

    /// Every family of item type, with a persona-decided skip: the estimate tests' items, without
    /// their stimulus variable (these surveys have no stimuli).
    static let items: [JSONValue] =
        [["id": "like", "type": "likert", "question": "Do you like it?", "scale": ["min": 1, "max": 5]]]
        + SurveyEstimateTests.items.dropFirst()

    static func scenario(_ count: Int, seed: UInt64) throws -> Scenario {
        var document = try #require(SurveyFixtures.document(items).objectValue)
        document["population"] = population(count, seed: seed)
        document["splitBy"] = ["sex", "region"]
        document["seed"] = .integer(Int64(seed))
        var survey = document["survey"]?.objectValue ?? JSONObject()
        survey["randomizeOptions"] = true
        survey["context"] = "An ad."
        document["survey"] = .object(survey)
        return try Scenario.parse(.object(document), file: "stream.json")
    }

    /// A seeded answer to any structured request: a value of the schema's type (free lists and
    /// objects too), or, for one request in nine, no JSON at all (a failed or repaired answer).
    static func answer(_ schema: JSONValue?, messages: String) -> String {
        let digest = SHA256.digest(Array(messages.utf8))
        let h = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        if h % 9 == 0 { return "no idea" }
        guard let answer = schema?["properties"]?["answer"] else { return "{\"answer\": \"ok\"}" }
        func value(_ schema: JSONValue, _ h: UInt64) -> JSONValue {
            switch schema["type"]?.stringValue {
            case "integer":
                let low = schema["minimum"]?.doubleValue.map { Int64($0) } ?? 0
                let high = schema["maximum"]?.doubleValue.map { Int64($0) } ?? 100
                return .integer(low + Int64(h % UInt64(max(1, high - low + 1))))
            case "number": return .number(Double(h % 1000) / 10)
            case "array":
                let options = schema["items"]?["enum"]?.arrayValue ?? []
                if options.isEmpty {
                    return .array((0..<(1 + Int(h % 3))).map { .string("w\((h >> UInt64($0 * 3)) % 5)") })
                }
                let most = Int(schema["maxItems"]?.intValue ?? Int64(options.count))
                return .array(
                    (0..<(1 + Int(h % UInt64(max(1, most))))).map { options[(Int(h % 7) + $0) % options.count] })
            case "object":
                var o = JSONObject()
                for (key, property) in schema["properties"]?.objectValue ?? JSONObject() {
                    o[key] = value(property, h >> 5)
                }
                return .object(o)
            case "boolean": return .bool(h % 2 == 0)
            default:
                if let options = schema["enum"]?.arrayValue, !options.isEmpty {
                    return options[Int(h % UInt64(options.count))]
                }
                return .string("Because of reason \(h % 97).")
            }
        }
        return JSONValue.object(JSONObject([("answer", value(answer, h))])).serialized()
    }

    static func model() -> ScriptedModel {
        ScriptedModel(rule: { request in
            var schema: JSONValue?
            if case .jsonSchema(_, let s, _) = request.responseFormat { schema = s }
            return answer(schema, messages: request.messages.map { "\($0.role):\($0.content)" }.joined(separator: "\n"))
        })
    }

    /// The outputs built from the whole data, by name.
    static func batchOutputs(_ kind: ScenarioRunKind, store: RunStore) async throws -> [String: String] {
        let data = try await RunData.load(store)
        var files: [String: String] = [:]
        for output in try await kind.outputs(data, results: try await kind.results(data)) {
            files[output.name] = output.text
        }
        return files
    }

    @Test("streamed outputs are byte-identical to the whole-data outputs, at any page size", arguments: [3, 11])
    func identical(seed: UInt64) async throws {
        let scenario = try Self.scenario(37, seed: seed)
        let out = RunFixtures.temporaryDirectory("stream")
        defer { try? FileManager.default.removeItem(at: out) }
        let summary = try await RunFixtures.run(scenario, model: Self.model(), concurrency: 4, out: out)
        #expect(summary.unitsDone == 37)
        let store = try RunStore.open(summary.directory)
        let kind = ScenarioRunKind(scenario, model: nil, seed: seed)
        let expected = try await Self.batchOutputs(kind, store: store)
        #expect(
            expected.keys.sorted() == ["report.html", "responses.csv", "results.json", "transcripts.jsonl"])
        #expect(
            summary.outputs.map(\.lastPathComponent) == [
                "transcripts.jsonl", "responses.csv", "results.json", "report.html",
            ])
        #expect(summary.results.serialized(pretty: true) + "\n" == expected["results.json"])
        for pageSize in [1, 4, 2048] {
            let streamed = try #require(try await kind.streamOutputs(store, pageSize: pageSize))
            #expect(streamed.files.map(\.lastPathComponent) == summary.outputs.map(\.lastPathComponent))
            for file in streamed.files {
                let text = try String(contentsOf: file, encoding: .utf8)
                #expect(text == expected[file.lastPathComponent], "\(file.lastPathComponent) at page size \(pageSize)")
            }
            #expect(streamed.itemFailures == summary.itemFailures)
        }
        // The aggregation saw answers, skips and failures: the comparison is not of empty tables.
        let items = summary.results["items"]?.arrayValue ?? []
        #expect(items.contains { ($0["skipped"]?.intValue ?? 0) > 0 })
        #expect(items.contains { ($0["n"]?.intValue ?? 0) > 0 })
    }

    @Test("an answer column replays the answers, skips and failures of the units it was given")
    func answerColumn() {
        var random = SplitMix64(seed: 99)
        var column = AnswerColumn()
        var given: [(JSONValue?, Bool)] = []
        for _ in 0..<500 {
            let roll = random.next() % 10
            let answer: JSONValue? =
                roll == 0
                ? nil
                : roll == 1 ? .null : roll < 6 ? .integer(Int64(random.next() % 5)) : .string("s\(random.next() % 3)")
            let skipped = answer == nil && random.next() % 2 == 0
            given.append((answer, skipped))
            column.add(answer, skipped: skipped)
        }
        let rows = (0..<500).filter { $0 % 3 != 1 }
        let (answered, failed, skipped) = column.tally(rows)
        let picked = rows.map { given[$0] }
        #expect(answered == picked.compactMap { $0.0 == .null ? nil : $0.0 })
        #expect(failed == picked.filter { $0.0 == .null }.count)
        #expect(skipped == picked.filter { $0.0 == nil && $0.1 }.count)
        #expect(column.codes.count == 500)
    }

    /// A persona file of `count` people (blank lines between some; `late` only from 2,050 on).
    static func personaFile(_ count: Int, duplicate: (id: Int, at: Int)? = nil) throws -> URL {
        let url = RunFixtures.temporaryDirectory("plan").appendingPathComponent("people.jsonl")
        var text = ""
        for i in 0..<count {
            let id = duplicate?.at == i ? duplicate?.id ?? i : i
            let late = i >= 2050 ? ",\"late\":\(i % 3)" : ""
            text +=
                "{\"id\":\"p\(id)\",\"attributes\":{\"age\":\(20 + i % 50),\"sex\":\"\(i % 2 == 0 ? "f" : "m")\"\(late)}}\n"
            if i % 97 == 0 { text += "\n" }
        }
        try Data(text.utf8).write(to: url)
        return url
    }

    static func fileSurvey(_ file: URL) throws -> Scenario {
        var document = try #require(SurveyFixtures.document([items[0]]).objectValue)
        document["population"] = ["personas": .string(file.path)]
        document["splitBy"] = ["late"]
        return try Scenario.parse(.object(document), file: "plan.json")
    }

    @Test("a survey of a persona file is planned in batches into the store the whole plan describes")
    func streamedPlan() async throws {
        let file = try Self.personaFile(2 * ScenarioRunKind.planBatch + 70)
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        let kind = ScenarioRunKind(try Self.fileSurvey(file), model: nil)
        let whole = try await kind.plan()
        let folder = file.deletingLastPathComponent().appendingPathComponent("run")
        let manifest = RunManifest(
            runID: "r", kind: "survey", document: kind.document, sourceFile: nil, seed: 1, model: "")
        let store = try await RunEngine.planStreamed(kind, at: folder, manifest: manifest)
        let personas = try await store.personas()
        #expect(personas.count == whole.personas.count)
        #expect(personas.map(\.id) == whole.personas.map(\.id))
        #expect(personas.map(\.json) == whole.personas.map(\.json))
        #expect(try await store.units().map(\.spec) == whole.units)
        #expect(try await store.isPlanning() == false)
    }

    @Test("an id used twice across batches is refused as the whole-file reader refuses it, and no folder is left")
    func duplicateAcrossBatches() async throws {
        let file = try Self.personaFile(
            ScenarioRunKind.planBatch + 100, duplicate: (id: 5, at: ScenarioRunKind.planBatch + 40))
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        let kind = ScenarioRunKind(try Self.fileSurvey(file), model: nil)
        let expected = try await #require(throws: RunError.self) { _ = try await kind.plan() }
        let folder = file.deletingLastPathComponent().appendingPathComponent("run")
        let manifest = RunManifest(
            runID: "r", kind: "survey", document: kind.document, sourceFile: nil, seed: 1, model: "")
        let streamed = try await #require(throws: RunError.self) {
            _ = try await RunEngine.planStreamed(kind, at: folder, manifest: manifest)
        }
        #expect(streamed.message == expected.message)
        #expect(streamed.path == expected.path)
        #expect(streamed.message.contains("duplicate persona id \"p5\""))
        #expect(!FileManager.default.fileExists(atPath: folder.path))
    }
}
