import AgoraTesting
import Foundation
import Storage
import Testing

/// The `agora` binary end to end, through `Process`.
@Suite(.timeLimit(.minutes(2)))
struct CommandLineTests {
    @Test func helpListsEveryCommandAndExitsZero() async throws {
        let result = try await CommandRunner.agora(["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("model check"))
        #expect(result.stdout.contains("bench"))
    }

    @Test func everyCommandHasHelp() async throws {
        for command in [["model", "check"], ["model", "setup"], ["bench"]] {
            let result = try await CommandRunner.agora(command + ["--help"])
            #expect(result.status == 0, "\(command)")
            #expect(result.stdout.contains("Usage: agora \(command.joined(separator: " "))"), "\(command)")
        }
    }

    @Test(arguments: [
        (["model", "check", "--frobnicate"], "unknown option --frobnicate"),
        (["model", "check", "--model"], "--model needs a value"),
        (["model", "check", "--model", "gopher:x"], "--model gopher:x"),
        (["model", "check", "--timeout", "soon"], "--timeout expects a whole number"),
        (["teleport"], "unknown command `teleport`"),
        (["model", "fly"], "unknown command `model fly`"),
        (["bench", "--only", "nothing"], "--only must be one of"),
    ])
    func badFlagsGiveOneLineAndExitTwo(arguments: [String], message: String) async throws {
        let result = try await CommandRunner.agora(arguments)
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func modelCheckAgainstAStubExitsZeroAndPrintsJSON() async throws {
        let server = try StubServer(
            configuration: .init(responder: { request in
                if request.json?["response_format"] != nil { return .text(#"{"answer": "yes", "confidence": 5}"#) }
                return .text("OK")
            }))
        defer { server.stop() }
        let result = try await CommandRunner.agora([
            "model", "check", "--model", server.baseURL.absoluteString, "--model-name", "stub-model", "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(report["usable"] as? Bool == true)
        #expect(report["structuredMode"] as? String == "json_schema")
    }

    @Test func modelCheckAgainstAClosedPortExitsThreeWithAClearMessage() async throws {
        let result = try await CommandRunner.agora(["model", "check", "--model", "http://127.0.0.1:9/v1"])
        #expect(result.status == 3)
        #expect(result.stderr.contains("cannot connect to http://127.0.0.1:9/v1"))
    }

    @Test func modelSetupPrintsTheBuildScriptWithThePins() async throws {
        let result = try await CommandRunner.agora(["model", "setup", "--print"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("llama-cpp-python[server]==0.3.36"))
        #expect(result.stdout.contains("b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"))
    }
}

/// `agora run` hands tool-task scenarios to the tool-task runner.
@Suite(.timeLimit(.minutes(2)))
struct RunToolTaskScenarioTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func aToolTaskScenarioRunsThroughAgoraRunAndGradesGoldAtOne() async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("agora-run-tasks-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let scenario = Self.repository.appendingPathComponent("Scenarios/support-desk-stress.json").path
        let result = try await CommandRunner.agora(["run", scenario, "--out", out.path, "--concurrency", "2"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("avg reward 1.000"))
    }

    @Test func agoraReportRebuildsAToolTaskRunByteForByteInEveryFormat() async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent(
            "agora-report-tasks-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let scenario = Self.repository.appendingPathComponent("Scenarios/support-desk-stress.json").path
        let run = try await CommandRunner.agora(["run", scenario, "--out", out.path])
        #expect(run.status == 0, "\(run.stderr)")
        let line = try #require(run.stdout.split(separator: "\n").first { $0.hasPrefix("run: ") })
        let directory = URL(fileURLWithPath: String(line.dropFirst(5)))
        func read(_ name: String) throws -> String {
            try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        }
        let html = try read("report.html")
        #expect(html.contains("<h2 id=\"tool-tasks\">Tool tasks</h2>"))
        #expect(html.contains("<tr><td>1</td><td>1.000</td><td>1.000</td></tr>"))
        let files = ["transcripts.jsonl", "episodes.jsonl", "results.json", "report.md", "report.html"]
        var before: [String: String] = [:]
        for name in files { before[name] = try read(name) }
        for (format, file) in [("html", "report.html"), ("json", "results.json"), ("md", "report.md")] {
            let report = try await CommandRunner.agora(["report", directory.path, "--format", format])
            #expect(report.status == 0, "\(report.stderr)")
            #expect(report.stdout == before[file], "agora report --format \(format)")
        }
        for name in files { #expect(try read(name) == before[name], "\(name)") }
    }

    @Test func toolTaskScenariosGetEveryRunOption() async throws {
        // Tool tasks run on the same engine as every kind: --limit, --no-cache and --resume work the same.
        let scenario = Self.repository.appendingPathComponent("Scenarios/support-desk-stress.json").path
        let out = FileManager.default.temporaryDirectory.appendingPathComponent(
            "agora-tasks-limit-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let first = try await CommandRunner.agora(["run", scenario, "--limit", "2", "--no-cache", "--out", out.path])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("2 of 600 units done, 0 failed, 0 items failed, 598 not run"), "\(first.stderr)")
        let run = try #require(first.stdout.split(separator: "\n").first { $0.hasPrefix("run: ") }?.dropFirst(5))
        let second = try await CommandRunner.agora(["run", "--resume", String(run), "--limit", "4", "--no-cache"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("4 of 600 units done"), "\(second.stderr)")
    }
}
