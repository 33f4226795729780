import Foundation
import Testing

@testable import Memory

@Suite struct TranscriptFileTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let focusGroup = root.appendingPathComponent("Scenarios/memory/focus-group.jsonl").path

    @Test func theWorkedExampleFileParsesToTheFixture() throws {
        let t = try TranscriptJSONL.load(Self.focusGroup)
        #expect(t.roster == Fixtures.focusRoster)
        #expect(t.events == Fixtures.focusLog)
    }

    @Test func serialiseThenParseRoundTrips() throws {
        let t = try Transcript(roster: Fixtures.focusRoster, events: Fixtures.focusLog)
        let text = TranscriptJSONL.serialize(t)
        #expect(try TranscriptJSONL.parse(text) == t)
        #expect(text == (try String(contentsOfFile: Self.focusGroup, encoding: .utf8)))
    }

    @Test func randomWorldsRoundTrip() throws {
        for seed in 0..<100 {
            let w = RandomWorld.make(seed: UInt64(seed))
            guard let t = try? Transcript(roster: w.roster, events: w.log) else { continue }
            #expect(try TranscriptJSONL.parse(TranscriptJSONL.serialize(t)) == t)
        }
    }

    @Test(arguments: [
        ("", "log.jsonl: empty file"),
        ("{\"people\": []}", "log.jsonl:1: the first line must be"),
        (
            "{\"roster\": [{\"id\": \"a\", \"displayName\": \"A\"}]}\n{\"seq\": 0, \"kind\": \"utterance\", \"speaker\": \"zed\"}",
            "log.jsonl:2: event seq 0 (e0): unknown participant \"zed\""
        ),
        (
            "{\"roster\": [{\"id\": \"a\", \"displayName\": \"A\"}]}\n\n{\"seq\": 0, \"kind\": \"utterance\", \"speaker\": \"a\"}\n{\"seq\": 0, \"kind\": \"utterance\", \"speaker\": \"a\"}",
            "log.jsonl:4: event e0: seq 0 follows seq 0"
        ),
        (
            "{\"roster\": [{\"id\": \"a\", \"displayName\": \"A\"}]}\n{\"seq\": 0, \"kind\": \"toolResult\", \"tool\": {\"callID\": \"c\", \"name\": \"t\", \"caller\": \"a\"}}",
            "log.jsonl:2: event seq 0 (e0): tool result for call \"c\" must directly follow"
        ),
        (
            "{\"roster\": [{\"id\": \"a\", \"displayName\": \"A\"}]}\n{\"seq\": 0, \"kind\": \"shout\"}",
            "log.jsonl:2: \"kind\" must be one of"
        ),
        ("{\"roster\": [{\"id\": \"a\", \"displayName\": \"A\"}]}\n{\"seq\": 0, ", "log.jsonl:2:"),
        (
            "{\"roster\": [{\"id\": \"A B\", \"displayName\": \"A\"}]}",
            "log.jsonl:1: roster[0]: \"id\": participant id \"A B\" is invalid"
        ),
    ])
    func badFilesNameTheLine(text: String, prefix: String) {
        #expect {
            try TranscriptJSONL.parse(text)
        } throws: { e in
            let message = (e as? MemoryError)?.message ?? ""
            return message.hasPrefix(prefix)
        }
    }

    @Test func projectCommandPrintsOpenAIStyleMessages() throws {
        let input = ProjectionCommandInput(logPath: Self.focusGroup, viewer: "dana", system: "You are Dana.")
        let out = try input.run()
        #expect(out.contains("\"tool_calls\": ["))
        #expect(out.contains("\"tool_call_id\": \"call_1\""))
        #expect(out.hasPrefix("[\n  {\n    \"role\": \"system\",\n    \"content\": \"You are Dana.\""))
        #expect {
            try ProjectionCommandInput(logPath: Self.focusGroup, viewer: "zed").run()
        } throws: { ($0 as? MemoryError)?.code == .unknownParticipant }
    }

    @Test func treeApplyReportsEachOutcome() throws {
        let report = try TreeApplyReport.apply(
            treePath: Self.root.appendingPathComponent("Scenarios/memory/persona-tree.json").path,
            opsPath: Self.root.appendingPathComponent("Scenarios/memory/tree-ops-example.txt").path, seq: 3)
        #expect(
            report.results.map(\.outcome) == [.set, .set, .created, .rejected(.targetIsBranch), .rejected(.trunkFixed)])
        #expect(report.parseErrors.map(\.line) == [6])
        let text = report.text(format: .outline)
        #expect(text.contains("4. DELETE(identity) -> rejected(targetIsBranch)"))
        #expect(text.hasSuffix("beliefsAbout > dana > role: runs the focus group"))
    }
}
