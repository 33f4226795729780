import AgoraTesting
import Foundation
import Storage
import Testing

@Suite(
    "The ECP-vs-CONCAT ablation, agora compare and the validation kit on the command line", .serialized,
    .timeLimit(.minutes(5)))
struct AblationCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A stub whose world actions are `speak` with a line that depends on the request (so the two
    /// arms' different requests get different answers); everything else gets the default reply.
    static func stub() throws -> StubServer {
        var configuration = StubServer.Configuration()
        configuration.responder = { request in
            let format = request.json?["response_format"]
            let schema = format?["json_schema"]?["schema"] ?? format?["schema"]
            guard schema?["properties"]?["action"] != nil else { return StubServer.defaultReply(to: request) }
            let messages = request.json?["messages"]?.arrayValue ?? []
            let words = ["price", "hills", "rain", "bus", "knee", "parking", "speed", "safety", "kids", "van"]
            let text = (request.json?["messages"]?.serialized() ?? "").utf8.reduce(UInt64(14_695_981_039_346_656_037)) {
                ($0 ^ UInt64($1)) &* 1_099_511_628_211
            }
            let line =
                "I think about \(words[Int(text % 10)]) and \(words[Int((text / 10) % 10)]), turn \(messages.count)."
            let reply: JSONValue = ["action": "speak", "to": [], "private": false, "content": .string(line)]
            return .text(
                reply.serialized(), promptTokens: (request.json?["messages"]?.serialized().utf8.count ?? 0) / 4)
        }
        return try StubServer(configuration: configuration)
    }

    @Test(
        "the shipped ablation runs both arms against a stub: CONCAT requests differ from ECP's, compare prints both with intervals"
    )
    func ablation() async throws {
        let stub = try Self.stub()
        defer { stub.stop() }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("agora-abl-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let scenario = Self.repository.appendingPathComponent("Scenarios/ablations/ecp-vs-concat.json").path
        let run = try await CommandRunner.agora([
            "run", scenario, "--model", stub.baseURL.absoluteString, "--model-name", "stub-model", "--no-cache",
            "--out", out.path,
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let folder = out.appendingPathComponent("ecp-vs-concat-s7")
        // Turn requests: ECP writes the agent's own earlier words as assistant messages; CONCAT
        // sends the system message and one user message holding the `Name: text` transcript.
        var ecp = 0
        var concat = 0
        for request in stub.requests {
            guard let messages = request.json?["messages"]?.arrayValue,
                messages.first?["content"]?.stringValue?.contains("focus group") == true
            else { continue }
            let roles = messages.compactMap { $0["role"]?.stringValue }
            if roles.contains("assistant") { ecp += 1 }
            if roles == ["system", "user"], let text = messages[1]["content"]?.stringValue,
                text.contains("\nDana: ") || text.contains("\nRita: ")
            {
                concat += 1
            }
        }
        #expect(ecp > 0)
        #expect(concat > 0)
        let results = try JSONValue.parse(try Data(contentsOf: folder.appendingPathComponent("results.json")))
        let arms = try #require(results["arms"]?.arrayValue)
        #expect(arms.map { $0["results"]?["projection"]?.stringValue } == ["ecp", "concat"])

        // What `agora evaluate` adds (the issue-12 contract): per-speaker scores, units named `arm/unit`.
        var withScores = results.objectValue ?? JSONObject()
        withScores["consistency"] = [
            "judge": "scripted", "metrics": ["p2l"],
            "speakers": [
                ["unit": "ECP/session-1", "speaker": "Rita", "p2l": ["score": 1, "n": 4]],
                ["unit": "ECP/session-2", "speaker": "Rita", "p2l": ["score": 0.75, "n": 4]],
                ["unit": "CONCAT/session-1", "speaker": "Rita", "p2l": ["score": 0.5, "n": 4]],
                ["unit": "CONCAT/session-2", "speaker": "Rita", "p2l": ["score": 0.25, "n": 4]],
            ],
        ]
        try Data(JSONValue.object(withScores).serialized(pretty: true).utf8).write(
            to: folder.appendingPathComponent("results.json"))
        let html = out.appendingPathComponent("compare.html")
        let compare = try await CommandRunner.agora(["compare", folder.path, "--html", html.path])
        #expect(compare.status == 0, "\(compare.stderr)")
        if ProcessInfo.processInfo.environment["AGORA_PRINT_COMPARE"] != nil { print(compare.stdout) }
        #expect(compare.stdout.contains("| figure | ECP | CONCAT | CONCAT − ECP [95% CI] |"), "\(compare.stdout)")
        #expect(compare.stdout.contains("| projection | ecp | concat |"))
        let echo = try #require(compare.stdout.split(separator: "\n").first { $0.hasPrefix("| Echo rate") })
        #expect(echo.contains("(n = 2)"))
        #expect(echo.contains(" ["), "an interval: \(echo)")
        // Paired by (session, speaker): differences −0.5 and −0.5, so every resample gives −0.5.
        #expect(
            compare.stdout.contains(
                "| Prompt-to-line consistency (per speaker) | 0.875 (n = 2) | 0.375 (n = 2) | -0.500 [-0.500, -0.500] |"
            ),
            "\(compare.stdout)")
        #expect(compare.stdout.contains("| Line-to-line consistency (per speaker) | — (n = 0) | — (n = 0) | — |"))
        #expect(try String(contentsOf: html, encoding: .utf8).contains("<h1>Comparison: ecp-vs-concat-group</h1>"))

        // The validation kit on the same run: items before the judge, and the judge-first error.
        let items = try await CommandRunner.agora(["evaluate", "export-items", folder.path, "--sample", "3"])
        #expect(items.status == 0, "\(items.stderr)")
        let rows = items.stdout.split(separator: "\n").filter {
            $0.hasPrefix("ECP/session-") || $0.hasPrefix("CONCAT/session-")
        }
        #expect(rows.count == 3)
        let ratings = out.appendingPathComponent("ratings.csv")
        try Data("item,rater,rating\nECP/session-1#2,alice,5\n".utf8).write(to: ratings)
        let agreement = try await CommandRunner.agora(["evaluate", "agreement", folder.path, ratings.path])
        #expect(agreement.status == 2)
        #expect(agreement.stderr.contains("run `agora evaluate \(folder.path) --judge MODEL --metrics p2l` first"))
    }

    @Test(
        "--context concat on a conversation scenario is recorded in the stored scenario and results; surveys refuse it")
    func contextFlag() async throws {
        let stub = try Self.stub()
        defer { stub.stop() }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("agora-ctx-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let scenario = Self.repository.appendingPathComponent("Scenarios/demo-brainstorm.json").path
        let run = try await CommandRunner.agora([
            "run", scenario, "--context", "concat", "--model", stub.baseURL.absoluteString, "--model-name",
            "stub-model", "--no-cache", "--out", out.path,
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let folder = out.appendingPathComponent("demo-brainstorm-s3")
        let results = try JSONValue.parse(try Data(contentsOf: folder.appendingPathComponent("results.json")))
        #expect(results["projection"]?.stringValue == "concat")
        let report = try await CommandRunner.agora(["report", folder.path, "--format", "json"])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(try JSONValue.parse(report.stdout)["projection"]?.stringValue == "concat")
        let survey = try await CommandRunner.agora([
            "run", Self.repository.appendingPathComponent("Scenarios/quick-survey.json").path, "--context", "concat",
            "--model", stub.baseURL.absoluteString, "--no-cache", "--out", out.path,
        ])
        #expect(survey.status == 2)
        #expect(survey.stderr.contains("--context applies to interview, focus-group and brainstorm scenarios"))
        let bad = try await CommandRunner.agora(["run", scenario, "--context", "egocentric", "--out", out.path])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--context takes ecp or concat"))
    }
}
