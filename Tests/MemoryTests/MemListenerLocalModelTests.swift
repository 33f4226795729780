import AgoraTesting
import Foundation
import Inference
import Storage
import Testing

@testable import Memory

/// The MemListener against the real local model (llama.cpp + the default GGUF, SmolLM2-135M-Instruct). It runs whenever the
/// model is built; in CI a missing model fails it instead of skipping.
@Suite(.serialized, .enabled(if: LocalModelFixture.isAvailable), .timeLimit(.minutes(5)))
struct MemListenerLocalModelTests {
    @Test func aShortExchangeYieldsOpsThatParseAndApplyOrRecordedFailures() async throws {
        let model = try await LocalModelFixture.model()
        try await Self.checkShortExchange(model: model)
    }

    /// The test body, usable with any model: one MemListener call on a two-party exchange must end
    /// in applied ops, or in recorded parse failures, never in a crash or a thrown error.
    static func checkShortExchange(model: any LanguageModel) async throws {
        let ana = ParticipantID(unchecked: "ana")
        let interviewer = ParticipantID(unchecked: "interviewer")
        let roster = [
            Participant(id: interviewer, displayName: "Interviewer", role: .moderator),
            Participant(id: ana, displayName: "Ana"),
        ]
        let log = [
            Event(seq: 0, speaker: interviewer, kind: .utterance, content: "What do you usually eat for breakfast?"),
            Event(seq: 1, speaker: ana, kind: .utterance, content: "Coffee and a pastel de nata. I bake on Sundays."),
            Event(seq: 2, speaker: interviewer, kind: .utterance, content: "Do you have any pets?"),
            Event(seq: 3, speaker: ana, kind: .utterance, content: "A grey cat called Lua."),
        ]
        var tree = smallTree()
        var config = MemListenerConfig()
        config.maxTokens = 160
        let record = await MemListener(model: model, config: config).update(
            &tree, log: log, viewer: ana, roster: roster)
        #expect(record.outcomes.count == record.ops.count)
        #expect(record.wire != .none || record.failure != nil)
        if record.wire == .lines {
            #expect(!record.ops.isEmpty || !record.parseErrors.isEmpty || record.raw.first?.isEmpty == true)
        }
        #expect(tree.node(at: path("identity.name"))?.value == "Ana", "the locked leaf is untouched")
        print("MemListener local-model record: \(record.jsonValue.serialized())")
    }
}
