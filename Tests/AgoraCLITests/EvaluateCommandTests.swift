import AgoraTesting
import Foundation
import Storage
import Testing

/// `agora evaluate RUN_DIR --judge SPEC` and the scenario `evaluation` section, through the binary
/// against the loopback stub (whose agents say one fixed sentence and whose judges find nothing).
@Suite("agora evaluate", .timeLimit(.minutes(3)))
struct EvaluateCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let brainstorm = repository.appendingPathComponent("Scenarios/demo-brainstorm.json")

    /// Agents speak a sentence that depends on their prompt; every other request gets the default.
    static func server() throws -> StubServer {
        try StubServer(
            configuration: .init(responder: { request in
                let format = request.json?["response_format"]?["json_schema"]
                guard format?["name"]?.stringValue == "action" else { return StubServer.defaultReply(to: request) }
                let said =
                    "I would like longer opening hours, said for the \(request.json?["messages"]?.arrayValue?.count ?? 0)th time."
                let content: JSONValue = ["action": "speak", "to": [], "private": false, "content": .string(said)]
                return .chat(
                    content: content.serialized(), toolCalls: [], finishReason: "stop", promptTokens: 10,
                    completionTokens: 10)
            }))
    }

    static func folder(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("agora-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func runDirectory(_ stdout: String) -> URL? {
        stdout.split(separator: "\n").first { $0.hasPrefix("run: ") }.map {
            URL(fileURLWithPath: String($0.dropFirst("run: ".count)))
        }
    }

    static func json(_ url: URL) throws -> JSONValue { try JSONValue.parse(try Data(contentsOf: url)) }

    /// The demo brainstorm as a document that loads from any folder (its persona file made absolute).
    static func brainstormDocument() throws -> JSONObject {
        guard var document = try json(brainstorm).objectValue, var population = document["population"]?.objectValue
        else { throw CancellationError() }
        population["personas"] = .string(
            repository.appendingPathComponent("Scenarios/personas/sample-people.jsonl").path)
        document["population"] = .object(population)
        document["$schema"] = nil
        return document
    }

    @Test("a finished brainstorm is judged, replayed with no call, and agora report keeps the section")
    func evaluatesReplaysAndRebuilds() async throws {
        let server = try Self.server()
        defer { server.stop() }
        let out = try Self.folder("evaluate")
        defer { try? FileManager.default.removeItem(at: out) }
        let cache = out.appendingPathComponent("cache.sqlite").path
        let stub = server.baseURL.absoluteString
        let ran = try await CommandRunner.agora(
            [
                "run", Self.brainstorm.path, "--model", stub, "--model-name", "stub-model", "--cache", cache, "--out",
                out.path,
            ],
            environment: [:])
        #expect(ran.status == 0, "\(ran.stderr)")
        let run = try #require(Self.runDirectory(ran.stdout))
        let pristine = out.appendingPathComponent("pristine")
        try FileManager.default.copyItem(at: run, to: pristine)

        let arguments = ["--judge", stub, "--model", stub, "--model-name", "stub-model", "--cache", cache]
        let judged = try await CommandRunner.agora(["evaluate", run.path] + arguments, environment: [:])
        #expect(judged.status == 0, "\(judged.stderr)")
        #expect(
            judged.stdout.contains("consistency demo-brainstorm: p2l 1.0 ± 0.0 (n = 2) l2l n/a (n = 0) qa"),
            "\(judged.stdout)")
        let consistency = try #require(try Self.json(run.appendingPathComponent("results.json"))["consistency"])
        #expect(consistency["judge"]?.stringValue == stub)
        #expect(consistency["metrics"] == ["p2l", "l2l", "qa"])
        let speakers = consistency["speakers"]?.arrayValue ?? []
        #expect(speakers.map { $0["speaker"] } == ["p000003", "p000005"])
        #expect(speakers.first?["p2l"] == ["score": 1.0, "n": 1])
        #expect(speakers.first?["l2l"] == ["score": nil, "n": 0, "judgeErrors": 0])
        #expect(speakers.first?["qa"]?["n"] != nil)
        #expect(consistency["conditions"]?[0]?["condition"] == "demo-brainstorm")
        let lines = try String(contentsOf: run.appendingPathComponent("consistency-lines.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try JSONValue.parse(String($0)) }
        #expect(lines.count == 2)
        #expect(lines.first?["metric"] == "p2l")
        #expect(lines.first?["item"]?.stringValue?.hasPrefix("session-1#") == true)
        let html = try String(contentsOf: run.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("<h2>Persona consistency</h2>"))

        // Replay on an unjudged copy: the same metrics, and the stub is not asked again.
        let asked = server.requests.count
        let replayed = try await CommandRunner.agora(
            ["evaluate", pristine.path, "--replay-only"] + arguments, environment: [:])
        #expect(replayed.status == 0, "\(replayed.stderr)")
        #expect(server.requests.count == asked)
        let again = try Self.json(pristine.appendingPathComponent("results.json"))["consistency"]
        #expect(again == consistency)

        // A second evaluation reuses the stored judgments; agora report keeps everything.
        let resumed = try await CommandRunner.agora(["evaluate", run.path] + arguments, environment: [:])
        #expect(resumed.stderr.contains("0 model calls"), "\(resumed.stderr)")
        let report = try await CommandRunner.agora(["report", run.path, "--format", "json"], environment: [:])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(try JSONValue.parse(report.stdout)["consistency"] == consistency)
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("consistency-lines.jsonl").path))
    }

    @Test("a scenario's evaluation section judges the run inline")
    func inlineSection() async throws {
        let server = try Self.server()
        defer { server.stop() }
        let out = try Self.folder("evaluate-inline")
        defer { try? FileManager.default.removeItem(at: out) }
        var document = try Self.brainstormDocument()
        document["evaluation"] = ["judge": .string(server.baseURL.absoluteString), "metrics": ["p2l"]]
        let file = out.appendingPathComponent("judged.json")
        try Data(JSONValue.object(document).serialized().utf8).write(to: file)
        let ran = try await CommandRunner.agora(
            [
                "run", file.path, "--model", server.baseURL.absoluteString, "--model-name", "stub-model", "--no-cache",
                "--out", out.path,
            ],
            environment: [:])
        #expect(ran.status == 0, "\(ran.stderr)")
        #expect(ran.stdout.contains("consistency demo-brainstorm: p2l 1.0 ± 0.0 (n = 2)"), "\(ran.stdout)")
        let run = try #require(Self.runDirectory(ran.stdout))
        #expect(try Self.json(run.appendingPathComponent("results.json"))["consistency"]?["metrics"] == ["p2l"])

        document["evaluation"] = ["judge": "local", "metrics": ["p2l", "echo"]]
        try Data(JSONValue.object(document).serialized().utf8).write(to: file)
        let bad = try await CommandRunner.agora(["run", file.path, "--no-cache", "--out", out.path], environment: [:])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("$.evaluation.metrics[1]: unknown metric; use p2l, l2l or qa"), "\(bad.stderr)")
    }

    @Test("an experiment of conversations (ECP vs CONCAT) is judged arm by arm, and compare splits the scores")
    func experimentArms() async throws {
        let server = try Self.server()
        defer { server.stop() }
        let out = try Self.folder("evaluate-experiment")
        defer { try? FileManager.default.removeItem(at: out) }
        let base = try Self.brainstormDocument()
        let experiment: JSONValue = [
            "version": 1, "id": "ablation", "kind": "experiment", "title": "ECP vs CONCAT", "seed": 3,
            "design": "between", "base": .object(base),
            "arms": [
                ["name": "ECP", "patch": ["context": ["projection": "ecp"]]],
                ["name": "CONCAT", "patch": ["context": ["projection": "concat"]]],
            ],
        ]
        let file = out.appendingPathComponent("ablation.json")
        try Data(experiment.serialized().utf8).write(to: file)
        let stub = server.baseURL.absoluteString
        let model = ["--model", stub, "--model-name", "stub-model", "--no-cache"]
        let ran = try await CommandRunner.agora(["run", file.path, "--out", out.path] + model, environment: [:])
        #expect(ran.status == 0, "\(ran.stderr)")
        let run = try #require(Self.runDirectory(ran.stdout))

        let judged = try await CommandRunner.agora(
            ["evaluate", run.path, "--judge", stub, "--metrics", "p2l"] + model, environment: [:])
        #expect(judged.status == 0, "\(judged.stderr)")
        let consistency = try #require(try Self.json(run.appendingPathComponent("results.json"))["consistency"])
        // One condition per arm, and the experiment's unit ids.
        #expect(consistency["conditions"]?.arrayValue?.map { $0["condition"] } == ["ECP", "CONCAT"])
        let units = (consistency["speakers"]?.arrayValue ?? []).compactMap { $0["unit"]?.stringValue }
        #expect(Set(units) == ["ECP/session-1", "CONCAT/session-1"])
        #expect(units.count == 4)
        let lines = try String(contentsOf: run.appendingPathComponent("consistency-lines.jsonl"), encoding: .utf8)
        #expect(lines.contains("\"ECP/session-1#") && lines.contains("\"CONCAT/session-1#"), "\(lines)")
        let html = try String(contentsOf: run.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("<h2>Persona consistency</h2>"))
        let markdown = try await CommandRunner.agora(["report", run.path, "--format", "md"], environment: [:])
        #expect(markdown.stdout.contains("## Persona consistency"), "\(markdown.stdout)")

        let compared = try await CommandRunner.agora(["compare", run.path], environment: [:])
        #expect(compared.status == 0, "\(compared.stderr)")
        #expect(
            compared.stdout.contains("| Prompt-to-line consistency (per speaker) | 1.000 (n = 2) | 1.000 (n = 2) |"),
            "\(compared.stdout)")

        // An experiment of surveys has nothing to judge: exit 2, saying so.
        let survey = try await CommandRunner.agora(
            [
                "run", Self.repository.appendingPathComponent("Scenarios/experiments/ad-copy-ab.json").path, "--limit",
                "2", "--out", out.path,
            ] + model, environment: [:])
        let surveyRun = try #require(Self.runDirectory(survey.stdout), "\(survey.stderr)")
        let refused = try await CommandRunner.agora(
            ["evaluate", surveyRun.path, "--judge", stub] + model, environment: [:])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("this experiment's arms are survey runs"), "\(refused.stderr)")
    }

    @Test("bad input names the thing and the fix (exit 2)")
    func badInput() async throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("agora-no-run-\(UUID().uuidString)")
        let noRun = try await CommandRunner.agora(["evaluate", missing.path, "--judge", "local"], environment: [:])
        #expect(noRun.status == 2)
        #expect(noRun.stderr.contains("no run here (run.sqlite is missing)"), "\(noRun.stderr)")
        let noJudge = try await CommandRunner.agora(["evaluate", missing.path], environment: [:])
        #expect(noJudge.status == 2)
        #expect(noJudge.stderr.contains("give the judge model with --judge SPEC"), "\(noJudge.stderr)")
        let badJudge = try await CommandRunner.agora(["evaluate", missing.path, "--judge", "nope:x"], environment: [:])
        #expect(badJudge.status == 2)
        #expect(badJudge.stderr.contains("--judge nope:x"), "\(badJudge.stderr)")
        let badMetric = try await CommandRunner.agora(
            ["evaluate", missing.path, "--judge", "local", "--metrics", "p2l,echo"], environment: [:])
        #expect(badMetric.status == 2)
        #expect(
            badMetric.stderr.contains("unknown consistency metric `echo`; use a comma-separated list of p2l, l2l, qa"))
    }
}
