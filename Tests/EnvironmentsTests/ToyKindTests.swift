import AgoraTesting
import Environments
import Foundation
import HTMLKit
import Inference
import Runs
import Storage
import Testing

/// A run kind written entirely in this test target: each unit asks the model one question and
/// stores the answer. Registering it is one line; the engine gives it store, resume, cache,
/// concurrency, outputs and `agora report` without any other change.
struct EchoKind: RunKind {
    let document: JSONValue
    let sourceFile: String?
    let seed: UInt64
    let model: (any LanguageModel)?
    let questions: [String]

    var name: String { "echo" }
    var modelLabel: String { model?.identifier ?? "" }
    var folder: RunFolder { .numbered("echo-s\(seed)") }

    func plan() async throws -> RunPlan {
        RunPlan(
            personas: [StoredPersona(id: "asker", json: ["id": "asker", "attributes": ["role": "tester"]])],
            units: questions.enumerated().map { index, question in
                UnitSpec(index: index, id: "q\(index + 1)", kind: "echo", input: ["question": .string(question)])
            })
    }

    func run(_ unit: UnitSpec, context: UnitContext) async throws -> UnitOutcome {
        guard let model else { throw RunError(.invalidInput, "no model") }
        let recorder = context.recording(model)
        let question = unit.input["question"]?.stringValue ?? ""
        let response = try await recorder.complete(ChatRequest(messages: [.user(question)], maxTokens: 16))
        let events = [
            RunEvent(seq: 0, kind: "utterance", speaker: "asker", speakerName: "Asker", content: question),
            RunEvent(seq: 1, kind: "utterance", speaker: "model", speakerName: "Model", content: response.content),
        ]
        return UnitOutcome(
            index: unit.index, status: .done, result: ["answer": .string(response.content), "failures": []],
            events: events, modelCalls: recorder.calls)
    }

    func results(_ data: RunData) async throws -> JSONValue {
        [
            "kind": "echo", "units": RunReport.unitCounts(data),
            "answers": .array(data.doneUnits.map { $0.result["answer"] ?? .null }), "usage": RunReport.usage(data),
        ]
    }

    func outputs(_ data: RunData, results: JSONValue) async throws -> [RunOutput] {
        [
            RunOutput("transcripts.jsonl", RunReport.transcripts(data) { $0 }),
            RunOutput("results.json", results.serialized(pretty: true) + "\n"),
        ]
    }

    func report(_ data: RunData, results: JSONValue, format: ReportFormat) throws -> String {
        switch format {
        case .json: results.serialized(pretty: true) + "\n"
        case .md: (results["answers"]?.arrayValue ?? []).map { "- " + RunReport.text(of: $0) }.joined(separator: "\n")
        case .html: HTML.escape(results.serialized())
        }
    }
}

/// The loader: reads `{"kind": "echo", "seed": S, "questions": [...]}`.
enum EchoKindLoader: RunKindLoader {
    static var names: [String] { ["echo"] }

    static func load(_ source: RunSource) async throws -> any RunKind {
        guard let questions = source.document["questions"]?.arrayValue?.compactMap(\.stringValue), !questions.isEmpty
        else {
            throw RunError(.invalidInput, "give a list of questions", file: source.file, path: "$.questions")
        }
        let seed = source.overrides["seed"]?.intValue ?? source.document["seed"]?.intValue ?? 1
        return EchoKind(
            document: source.document, sourceFile: source.file, seed: UInt64(bitPattern: seed),
            model: source.purpose == .report ? nil : try await source.models.model(nil), questions: questions)
    }
}

@Suite("A kind registered from outside the library runs on the engine end to end")
struct ToyKindTests {
    static let registry = Launcher.registry.adding(EchoKindLoader.self)

    func scenario(_ questions: [String]) throws -> (file: String, out: URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("agora-echo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("echo.json")
        let document: JSONValue = ["kind": "echo", "seed": 3, "questions": .array(questions.map { .string($0) })]
        try Data(document.serialized().utf8).write(to: file)
        return (file.path, folder.appendingPathComponent("runs"))
    }

    @Test("new run, resume after --limit, the cache on replay, and agora report from the store")
    func endToEnd() async throws {
        let (file, out) = try scenario(["What is one plus one?", "Name a colour.", "Say hi."])
        let cache = try ResponseCache(.memory)
        let scripted = ScriptedModel(rule: { request in "answer to: " + (request.messages.last?.content ?? "") })
        let cached = CachedModel(base: scripted, cache: cache, mode: .readWrite)

        let first = try await Launcher.run(
            file: file, options: RunOptions(outDirectory: out, limit: 2), models: FixedModels(cached),
            registry: Self.registry)
        #expect(first.runID == "echo-s3")
        #expect((first.unitsDone, first.unitsPending) == (2, 1))

        let resumed = try await Launcher.run(
            file: file, options: RunOptions(outDirectory: out, resume: first.directory, concurrency: 2),
            models: FixedModels(cached), registry: Self.registry)
        #expect((resumed.unitsDone, resumed.unitsPending, resumed.hasFailures) == (3, 0, false))
        #expect(scripted.requests.count == 3)
        #expect(
            resumed.results["answers"]
                == ["answer to: What is one plus one?", "answer to: Name a colour.", "answer to: Say hi."])
        let transcripts = try String(
            contentsOf: first.directory.appendingPathComponent("transcripts.jsonl"), encoding: .utf8)
        #expect(transcripts.split(separator: "\n").count == 3)

        // The same scenario again, answered only from the cache: no model call, the same results.
        let replay = try await Launcher.run(
            file: file, options: RunOptions(outDirectory: out),
            models: FixedModels(CachedModel(base: scripted, cache: cache, mode: .replayOnly)),
            registry: Self.registry)
        #expect(replay.runID == "echo-s3-2")
        #expect(scripted.requests.count == 3)
        #expect(replay.results["answers"] == resumed.results["answers"])

        // agora report rebuilds from the store with the kind's own formats.
        let md = try await Launcher.report(first.directory, format: .md, registry: Self.registry)
        #expect(md == "- answer to: What is one plus one?\n- answer to: Name a colour.\n- answer to: Say hi.")
        let json = try await Launcher.report(first.directory, format: .json, registry: Self.registry)
        #expect(try JSONValue.parse(json) == resumed.results)
    }

    @Test("without its registration the kind is bad input naming $.kind and the known kinds")
    func unknownKind() async throws {
        let (file, out) = try scenario(["Hello?"])
        do {
            _ = try await Launcher.run(
                file: file, options: RunOptions(outDirectory: out), models: FixedModels(ScriptedModel(replies: [])))
            Issue.record("an unknown kind ran")
        } catch let error as RunError {
            #expect(error.code == .invalidInput)
            #expect(error.path == "$.kind")
            #expect(error.message.hasPrefix("unknown kind \"echo\"; use one of survey, interview, focus-group"))
            #expect(error.message.hasSuffix("tool-tasks, experiment, fidelity"))
        }
    }

    @Test("the kind's loader errors reach the caller with the file and the JSON path")
    func loaderErrors() async throws {
        let (file, out) = try scenario([])
        await #expect(throws: RunError.self) {
            try await Launcher.run(
                file: file, options: RunOptions(outDirectory: out), models: FixedModels(ScriptedModel(replies: [])),
                registry: Self.registry)
        }
    }
}
