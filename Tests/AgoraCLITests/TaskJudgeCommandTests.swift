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
}
