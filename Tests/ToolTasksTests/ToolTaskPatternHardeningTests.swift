import Foundation
import Runs
import Storage
import Testing

@testable import ToolTasks

@Suite("Hardening: patterns from task files cannot hang a run")
struct ToolTaskPatternHardeningTests {
    static func task(pattern: String) throws -> ToolTask {
        try SupportDesk.task([
            "id": "p", "user_scenario": ["instructions": ["reason_for_call": "Say the magic words."]],
            "evaluation_criteria": ["actions": [], "reward_basis": ["OUTPUTS"]],
            "x_required_outputs": [["pattern": .string(pattern), "kind": "regex"]],
        ])
    }

    @Test("a catastrophic pattern is graded in linear time", .timeLimit(.minutes(1)))
    func catastrophicPattern() async throws {
        let task = try Self.task(pattern: "^(a|aa)+$")
        let clock = ContinuousClock()
        let start = clock.now
        let long = String(repeating: "a", count: 5_000) + "!"
        let (_, result, _) = try await SupportDesk.run(task, agent: ScriptedAgent([.text(long)]))
        #expect(result.reward == 0)
        #expect(clock.now - start < .seconds(10))
        let (_, passed, _) = try await SupportDesk.run(task, agent: ScriptedAgent([.text("aaaa")]))
        #expect(passed.reward == 1)
    }

    @Test("a pattern the matcher cannot run in linear time is refused at load, naming the JSON path")
    func refusedAtLoad() {
        do {
            _ = try Self.task(pattern: "(a)\\1")
            Issue.record("a backreference was accepted")
        } catch let error as RunError {
            #expect(error.path == "$.x_required_outputs[0].pattern")
            #expect(error.message.contains("backreferences are not supported"), "\(error.message)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
