import AgoraTesting
import Foundation
import Storage
import Testing

/// `agora tasks run` with `--judge`, `--population` and `--split-by`.
@Suite(.timeLimit(.minutes(2)))
struct TaskJudgeCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static var domain: String { repository.appendingPathComponent("Scenarios/domains/support-desk").path }

    @Test(arguments: [
        (["--judge", "gopher:x"], "--judge gopher:x: use model or model:SPEC"),
        (["--judge", "model:gopher:x"], "--judge model:gopher:x: use local, openai:MODEL"),
        (["--judge", "model:openai:"], "--judge model:openai:: openai: needs a model"),
        (["--judge"], "--judge needs a value"),
        (["--population", "/nonexistent/people.jsonl"], "--population /nonexistent/people.jsonl: no such file"),
        (["--population-count", "5"], "--population-count needs --population POPULATION.json"),
        (["--split-by", "age,,region"], "--split-by: give attribute names separated by commas"),
    ])
    func badFlagsExitTwoWithOneLine(flags: [String], message: String) async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("agora-tasks-bad-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try await CommandRunner.agora(
            ["tasks", "run", Self.domain, "--tasks", "sd-001", "--out", out.path] + flags)
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }

    @Test func aPopulationFileAssignsPersonasAndBreaksResultsDownByAttribute() async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("agora-tasks-pop-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let people = Self.repository.appendingPathComponent("Scenarios/personas/sample-people.jsonl").path
        let result = try await CommandRunner.agora([
            "tasks", "run", Self.domain, "--tasks", "sd-001,sd-002,sd-003", "--population", people, "--split-by",
            "region,sex",
            "--out", out.path, "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONValue.parse(String(result.stdout.split(separator: "\nrun: ").first ?? ""))
        let trials = try #require(json["trials"]?.arrayValue)
        #expect(trials.count == 3 && trials.allSatisfy { $0["userPersona"]?.stringValue?.hasPrefix("p0000") == true })
        let breakdown = try #require(json["summary"]?["byPersonaAttribute"]?.arrayValue)
        #expect(breakdown.compactMap { $0["attribute"]?.stringValue } == ["region", "sex"])
        #expect(
            breakdown.allSatisfy {
                ($0["groups"]?.arrayValue ?? []).reduce(0) { $0 + ($1["trials"]?.intValue ?? 0) } == 3
            })
        #expect(json["config"]?["population"]?["personas"]?.stringValue?.hasSuffix("sample-people.jsonl") == true)
    }

    @Test func aScenarioWithJudgePopulationAndSplitByGradesNLThroughAStubJudge() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent(
            "agora-tasks-judge-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        // The support desk with an NL assertion on sd-004.
        let domain = work.appendingPathComponent("domain")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: URL(fileURLWithPath: Self.domain), to: domain)
        let tasksFile = domain.appendingPathComponent("tasks.json")
        var tasks = try #require(try JSONValue.parse(Data(contentsOf: tasksFile)).arrayValue)
        let index = try #require(tasks.firstIndex { $0["id"] == "sd-004" })
        guard case .object(var task) = tasks[index], case .object(var criteria)? = task["evaluation_criteria"] else {
            Issue.record("sd-004 has no evaluation_criteria")
            return
        }
        criteria["nl_assertions"] = ["The agent confirms the plan change."]
        task["evaluation_criteria"] = .object(criteria)
        task["x_reward_basis"] = ["DB", "COMMUNICATE", "NL_ASSERTION"]
        tasks[index] = .object(task)
        try Data(JSONValue.array(tasks).serialized().utf8).write(to: tasksFile)
        let server = try StubServer(
            configuration: .init(responder: { _ in
                .text(#"{"met": true, "justification": "It says the plan is now basic."}"#)
            }))
        defer { server.stop() }
        let people = Self.repository.appendingPathComponent("Scenarios/personas/sample-people.jsonl").path
        let scenario: JSONValue = [
            "kind": "tool-tasks", "domain": "domain", "tasks": ["sd-004", "sd-001"], "agent": "gold",
            "user": "scripted",
            "judge": .string("model:" + server.baseURL.absoluteString), "population": .string(people),
            "splitBy": ["sex"],
        ]
        let file = work.appendingPathComponent("scenario.json")
        try Data(scenario.serialized().utf8).write(to: file)
        let result = try await CommandRunner.agora([
            "run", file.path, "--out", work.appendingPathComponent("runs").path,
            "--cache", work.appendingPathComponent("cache.sqlite").path,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let runs = try FileManager.default.contentsOfDirectory(atPath: work.appendingPathComponent("runs").path)
        let results = try JSONValue.parse(
            Data(contentsOf: work.appendingPathComponent("runs/\(try #require(runs.first))/results.json")))
        let trials = try #require(results["trials"]?.arrayValue)
        #expect(trials.map { $0["passed"]?.boolValue } == [true, true])
        #expect(trials[0]["eval"]?["nl"]?[0]?["justification"] == "It says the plan is now basic.")
        #expect(trials.allSatisfy { $0["userPersona"]?.stringValue != nil })
        #expect(results["summary"]?["byPersonaAttribute"]?[0]?["attribute"] == "sex")
        #expect(server.requests.count == 1)
        // Resuming the finished run re-exports it without asking the judge again.
        let resumed = try await CommandRunner.agora([
            "tasks", "run", "--resume", work.appendingPathComponent("runs/\(try #require(runs.first))").path,
            "--cache", work.appendingPathComponent("cache.sqlite").path,
        ])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(server.requests.count == 1)
    }
}
