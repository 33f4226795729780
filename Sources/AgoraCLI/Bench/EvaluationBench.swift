import AgoraTesting
import Evaluation
import Foundation
import Inference
import Memory
import Runs
import Storage

/// The consistency judges' own cost (evaluation.md §C.2): prompt-to-line and line-to-line over
/// stored focus-group conversations with an in-process judge that answers at once, so the figure
/// is everything outside the model calls (rendering the omniscient transcript, structured-output
/// validation, the dedupe and validity filter, storing the judgments, the summary). Target ≤ 1 ms
/// per judged line.
enum EvaluationBench: BenchSuite {
    static let name = "evaluation"

    static func run(quick: Bool) async throws -> [BenchFigure] {
        let count = quick ? 10 : 40
        let conversations = try (0..<count).map { try conversation($0) }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "agora-bench-eval-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try await RunStore.create(
            at: folder,
            manifest: RunManifest(
                runID: "bench", kind: "focus-group", document: ["id": "bench"], sourceFile: nil, seed: 1,
                model: "bench"),
            personas: [], units: [])
        let judge = ScriptedModel(rule: { request in
            let text = request.messages.last?.content ?? ""
            return text.contains("earlier lines are")
                ? #"{"reason": "No clear conflict.", "conflicts": []}"#
                : #"{"reason": "It fits the persona.", "verdict": "consistent"}"#
        })
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = try await ConsistencyEvaluation.run(
            conversations, store: store, seed: 1, judge: judge, simulator: nil,
            settings: EvaluationSettings(judge: "bench", metrics: [.promptToLine, .lineToLine], concurrency: 2))
        let seconds = BenchClock.seconds(clock.now - start)
        let lines = outcome.lines.count
        let perLine = seconds / Double(max(lines, 1)) * 1000
        return [
            BenchFigure(
                name: "judged lines (p2l + l2l), \(count) focus groups × 2 speakers × 12 lines", value: Double(lines),
                unit: "lines"),
            BenchFigure(
                name: "evaluation overhead per judged line (zero-latency judge)", value: perLine, unit: "ms",
                target: "≤ 1 ms", met: perLine <= 1),
        ]
    }

    /// A focus group: a moderator and two participants taking turns, 36 utterances.
    static func conversation(_ index: Int) throws -> JudgedConversation {
        let ids = ["mod", "ana", "ben"].map { ParticipantID(unchecked: $0) }
        let roster = [
            Participant(id: ids[0], displayName: "Mo", role: .moderator),
            Participant(id: ids[1], displayName: "Ana", role: .speaker),
            Participant(id: ids[2], displayName: "Ben", role: .speaker),
        ]
        let events = (0..<36).map { i in
            Event(
                seq: i, speaker: ids[i % 3], kind: .utterance,
                content: "Turn \(i) of group \(index): I take the bus to work most days and it takes forty minutes.")
        }
        let speakers = ids.dropFirst().map { id in
            JudgedSpeaker(
                participant: id, speaker: id.raw, name: roster.first { $0.id == id }?.displayName ?? id.raw,
                persona: "A commuter in a mid-sized city, 35, works in retail.", instructions: "Speak as yourself.")
        }
        return JudgedConversation(
            unitID: "session-\(index + 1)", unitIndex: index, condition: "bench",
            scenario: "A focus group on commuting.",
            transcript: try Transcript(roster: roster, events: events), speakers: speakers)
    }
}
