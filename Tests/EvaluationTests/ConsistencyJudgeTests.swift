import Agents
import AgoraTesting
import Foundation
import Inference
import Memory
import Runs
import Storage
import Testing

@testable import Evaluation

/// The deterministic checks of evaluation.md §C.3, with scripted judges and simulators.
@Suite struct ConsistencyJudgeTests {
    typealias F = ConsistencyFixtures

    static func evaluate(
        _ conversation: JudgedConversation, metrics: [ConsistencyMetric], judge: any LanguageModel,
        simulator: (any LanguageModel)? = nil, store: RunStore? = nil
    ) async throws -> ConsistencyOutcome {
        let given: RunStore
        if let store { given = store } else { given = try await F.store(conversation) }
        return try await ConsistencyEvaluation.run(
            [conversation], store: given, seed: 7, judge: judge, simulator: simulator,
            settings: EvaluationSettings(judge: "scripted", metrics: metrics, concurrency: 1))
    }

    @Test func promptToLineScoresThreeOfFourAsPointSevenFive() async throws {
        let judge = ScriptedModel(replies: [
            F.verdict("consistent"), F.verdict("contradiction"), F.verdict("consistent"), F.verdict("consistent"),
        ])
        let outcome = try await Self.evaluate(try F.stub(), metrics: [.promptToLine], judge: judge)
        #expect(outcome.summary["speakers"]?[0]?["p2l"] == ["score": 0.75, "n": 4])
        #expect(outcome.summary["conditions"]?[0]?["p2l"]?["mean"] == 0.75)
        #expect(outcome.summary["conditions"]?[0]?["p2l"]?["sd"] == .null)  // one speaker: no sd
        #expect(outcome.lines.map { $0["value"] } == [1, 0, 1, 1])
        #expect(outcome.lines.map { $0["item"] } == ["session-1#1", "session-1#3", "session-1#5", "session-1#7"])
        #expect(judge.requests.count == 4)
        #expect(judge.requests.allSatisfy { $0.temperature == 0 })
    }

    @Test func aYesInsideTheReasonDoesNotMakeAContradiction() async throws {
        let judge = ScriptedModel(rule: { _ in F.verdict("consistent", reason: "YES, this is exactly what YES means.") }
        )
        let outcome = try await Self.evaluate(try F.stub(), metrics: [.promptToLine], judge: judge)
        #expect(outcome.summary["speakers"]?[0]?["p2l"] == ["score": 1.0, "n": 4])
    }

    @Test func zeroLinesGiveANullScoreNeverOne() async throws {
        #expect(ConsistencyScore.promptToLine([]) == MetricScore(score: nil, n: 0))
        #expect(ConsistencyScore.lineToLine([]).score == nil)
        #expect(ConsistencyScore.questionAnswer([]).score == nil)
        let judge = ScriptedModel(replies: [])
        let outcome = try await Self.evaluate(
            try F.stub(patientLines: 0), metrics: [.promptToLine, .lineToLine], judge: judge)
        #expect(outcome.summary["speakers"]?[0]?["p2l"] == ["score": nil, "n": 0])
        #expect(outcome.summary["speakers"]?[0]?["l2l"] == ["score": nil, "n": 0, "judgeErrors": 0])
        #expect(outcome.summary["conditions"]?[0]?["p2l"] == ["mean": nil, "sd": nil, "ci": nil, "n": 0])
        #expect(judge.requests.isEmpty)
    }

    @Test func lineToLineOnTheStubIsTwoThirdsWithThreeJudgeErrors() async throws {
        let judge = ScriptedModel(rule: { request in
            let text = F.user(request)
            if text.contains("The current line is [5]") { return F.conflicts([1, 1, 3, 2]) }
            if text.contains("The current line is [7]") { return F.conflicts([9]) }
            return F.conflicts([])
        })
        let outcome = try await Self.evaluate(try F.stub(), metrics: [.lineToLine], judge: judge)
        #expect(outcome.summary["speakers"]?[0]?["l2l"] == ["score": 0.6667, "n": 6, "judgeErrors": 3])
        // One request per line with earlier lines (j = 1, 2, 3); per-line values 1 − |valid_j|/j.
        #expect(judge.requests.count == 3)
        #expect(outcome.lines.map { $0["value"] } == [1.0, 0.0, 1.0])
        #expect(outcome.lines.map { $0["verdict"] } == ["consistent", "contradiction", "consistent"])
        #expect(ConsistencyScore.validFlags([1, 1, 3, 2], allowed: [1, 3]) == ([1, 3], 2))
    }

    @Test func nPartyLineToLineListsOnlyTheSpeakersEarlierLines() async throws {
        let a = ParticipantID(unchecked: "a")
        let u = ParticipantID(unchecked: "u")
        let b = ParticipantID(unchecked: "b")
        let roster = [
            Participant(id: a, displayName: "Ann", role: .moderator),
            Participant(id: u, displayName: "Uma", role: .speaker),
            Participant(id: b, displayName: "Bob", role: .speaker),
        ]
        let speakers = [a, u, b, b, u, a, u]
        let events = speakers.enumerated().map {
            Event(seq: $0.offset, speaker: $0.element, kind: .utterance, content: "l\($0.offset)")
        }
        let conversation = F.conversation(try Transcript(roster: roster, events: events), speakers: [u])
        let judge = ScriptedModel(rule: { _ in F.conflicts([]) })
        let outcome = try await Self.evaluate(conversation, metrics: [.lineToLine], judge: judge)
        let prompts = judge.requests.map(F.user)
        #expect(prompts.count == 2)
        #expect(prompts[0].contains("The current line is [4], spoken by Uma. Uma's earlier lines are [1]."))
        #expect(prompts[1].contains("The current line is [6], spoken by Uma. Uma's earlier lines are [1, 4]."))
        #expect(prompts[1].contains("[3] Bob: l3"))
        #expect(outcome.summary["speakers"]?[0]?["l2l"] == ["score": 1.0, "n": 3, "judgeErrors": 0])
    }

    static func quizJudge(_ keys: [String]) -> ScriptedModel {
        ScriptedModel(replies: keys.enumerated().map { F.question($0.offset + 1, answer: $0.element) })
    }

    @Test func questionAnswerScoresFourOfFiveAsPointEight() async throws {
        let judge = Self.quizJudge(["A", "C", "B", "D", "E"])
        let simulator = ScriptedModel(replies: ["A", "C", "B", "B", "E"].map { #"{"answer": "\#($0)"}"# })
        let conversation = try F.stub(patientLines: 2)
        let store = try await F.store(conversation)
        func logHash() async throws -> String {
            let events = try await store.events().flatMap(\.events)
            return SHA256.hex(
                events.map { "\($0.seq)|\($0.kind)|\($0.speaker ?? "")|\($0.content)" }.joined(separator: "\n"))
        }
        let before = try await logHash()
        let outcome = try await Self.evaluate(
            conversation, metrics: [.questionAnswer], judge: judge, simulator: simulator, store: store)
        #expect(outcome.summary["speakers"]?[0]?["qa"] == ["score": 0.8, "n": 5])
        // The fork is never written to the log.
        #expect(try await logHash() == before)
        #expect(try await store.events().flatMap(\.events).count == 4)
        // Each probe is Pat's own projection (own lines as assistant) plus one user message asking.
        let probe = try #require(simulator.requests.first)
        #expect(probe.messages.first?.role == .system)
        #expect(probe.messages.contains { $0.role == .assistant && $0.content == "line 1" })
        #expect(probe.messages.last?.role == .user)
        #expect(probe.messages.last?.content.contains("What is fact 1 about you?\nA) option 1-0") == true)
        #expect(probe.temperature == 0)
    }

    @Test func aMalformedQuestionIsWrittenAgainWithTheNextSeed() async throws {
        var replies = [F.question(1, answer: "A", options: 4)]
        replies += ["A", "B", "C", "D", "E"].enumerated().map { F.question($0.offset + 1, answer: $0.element) }
        let judge = ScriptedModel(replies: replies)
        let simulator = ScriptedModel(rule: { _ in #"{"answer": "A"}"# })
        let outcome = try await Self.evaluate(
            try F.stub(patientLines: 1), metrics: [.questionAnswer], judge: judge, simulator: simulator)
        var stream = RandomStream(seed: 7).substream("consistency/qa/u/q1")
        let first = Int(stream.next() & 0x7FFF_FFFF)
        let second = Int(stream.next() & 0x7FFF_FFFF)
        #expect(judge.requests.count == 6)
        #expect(judge.requests[0].seed == first)
        #expect(judge.requests[1].seed == second)
        #expect(first != second)
        #expect(outcome.summary["speakers"]?[0]?["qa"] == ["score": 0.2, "n": 5])
        let malformed = try JSONValue.parse(F.question(1, answer: "A", options: 4))
        #expect(QuizQuestion.problems(malformed, earlier: []) == ["4 options instead of 5"])
    }

    @Test func theJudgeTranscriptMatchesItsGolden() throws {
        let a = ParticipantID(unchecked: "ann")
        let u = ParticipantID(unchecked: "uma")
        let b = ParticipantID(unchecked: "bob")
        let roster = [
            Participant(id: a, displayName: "Ann", role: .moderator),
            Participant(id: u, displayName: "Uma", role: .speaker),
            Participant(id: b, displayName: "Bob", role: .speaker),
        ]
        let events = [
            Event(seq: 0, speaker: nil, kind: .narration, content: "Phase 1: breakfast."),
            Event(seq: 1, speaker: a, kind: .utterance, addressees: [u], content: "Uma, what do you eat?"),
            Event(seq: 2, speaker: u, kind: .thought, content: "SECRET THOUGHT"),
            Event(seq: 3, speaker: u, kind: .utterance, content: "Porridge, always."),
            Event(seq: 4, speaker: b, kind: .utterance, audience: .only([b, u]), content: "Me too, honestly."),
            Event(seq: 5, speaker: u, kind: .utterance, content: "Toast on Sundays."),
        ]
        let conversation = F.conversation(try Transcript(roster: roster, events: events), speakers: [u])
        let judge = ConsistencyJudge(model: PromptOnlyModel(), seed: 7)
        let line = events[5]
        let request = judge.lineToLineRequest(
            line, allowed: [3], speaker: conversation.speakers[0], in: conversation)
        #expect(F.user(request) == JudgeTranscriptGolden.lineToLine)
        #expect(!F.user(request).contains("SECRET"))
        let p2l = judge.withContext(2).promptToLineRequest(line, speaker: conversation.speakers[0], in: conversation)
        #expect(F.user(p2l) == JudgeTranscriptGolden.promptToLineWithContext)
    }

    @Test func replayMakesNoCallAndTheSameMetricJSON() async throws {
        let cache = try ResponseCache(.memory)
        let live = ScriptedModel(rule: { request in
            let text = F.user(request)
            if text.contains("earlier lines are") { return F.conflicts(text.contains("[5]") ? [1] : []) }
            return F.verdict(text.contains("line 3") ? "contradiction" : "consistent")
        })
        let conversation = try F.stub()
        let first = try await Self.evaluate(
            conversation, metrics: [.promptToLine, .lineToLine],
            judge: CachedModel(base: live, cache: cache, mode: .readWrite))
        let silent = ScriptedModel(replies: [])
        let replay = try await Self.evaluate(
            conversation, metrics: [.promptToLine, .lineToLine],
            judge: CachedModel(base: silent, cache: cache, mode: .replayOnly))
        #expect(silent.requests.isEmpty)
        #expect(live.requests.count == 7)
        #expect(replay.calls == 7)
        #expect(replay.cachedCalls == 7)
        #expect(replay.summary.serialized() == first.summary.serialized())
        #expect(JSONValue.array(replay.lines).serialized() == JSONValue.array(first.lines).serialized())
    }

    @Test func aSecondEvaluationReusesStoredJudgments() async throws {
        let judge = ScriptedModel(rule: { _ in F.verdict("consistent") })
        let conversation = try F.stub()
        let store = try await F.store(conversation)
        let first = try await Self.evaluate(conversation, metrics: [.promptToLine], judge: judge, store: store)
        let again = try await Self.evaluate(conversation, metrics: [.promptToLine], judge: judge, store: store)
        #expect(judge.requests.count == 4)
        #expect(again.calls == 0)
        #expect(again.reused == 1)
        #expect(again.summary == first.summary)
        #expect(try await store.documents().map(\.name) == ["consistency", "consistency-lines"])
    }

    @Test func majorityOfThreeUsesRecordedSeedsAndTemperatures() async throws {
        let replies = [F.verdict("contradiction"), F.verdict("consistent"), F.verdict("consistent")]
        let judge = ScriptedModel(replies: replies)
        let conversation = try F.stub(patientLines: 1)
        let store = try await F.store(conversation)
        let outcome = try await ConsistencyEvaluation.run(
            [conversation], store: store, seed: 7, judge: judge, simulator: nil,
            settings: EvaluationSettings(judge: "scripted", metrics: [.promptToLine], majority: true, concurrency: 1))
        #expect(judge.requests.map(\.temperature) == [0, 0.3, 0.3])
        #expect(Set(judge.requests.compactMap(\.seed)).count == 3)
        #expect(outcome.lines.map { $0["verdict"] } == ["consistent"])
    }

    @Test func conditionsGetMeanSdAndASeededBootstrapInterval() {
        let a = ConsistencyScore.aggregate([0.5, 0.75, 1.0], seed: 3)
        #expect(a["mean"] == 0.75)
        #expect(a["sd"] == 0.25)
        #expect(a["n"] == 3)
        let ci = a["ci"]?.arrayValue?.compactMap(\.doubleValue) ?? []
        #expect(ci.count == 2)
        #expect(ci[0] >= 0.5 && ci[0] < 0.75 && ci[1] > 0.75 && ci[1] <= 1.0)
        #expect(ConsistencyScore.aggregate([0.5, 0.75, 1.0], seed: 3) == a)
    }

    @Test func unknownSpeakersAreNamedWithTheKnownOnes() async throws {
        let conversation = try F.stub()
        let store = try await F.store(conversation)
        await #expect(throws: EvaluationError.self) {
            try await ConsistencyEvaluation.run(
                [conversation], store: store, seed: 7, judge: PromptOnlyModel(), simulator: nil,
                settings: EvaluationSettings(judge: "x", metrics: [.promptToLine], speakers: ["zed"]))
        }
        do {
            _ = try ConsistencyEvaluation.select(
                [conversation], settings: EvaluationSettings(judge: "x", speakers: ["zed"]), seed: 7)
        } catch {
            #expect(error.message == "no simulated speaker \"zed\" in this run; the speakers are u")
        }
    }

    @Test func theScenarioSectionIsValidatedWithPaths() throws {
        let good = try EvaluationSettings.parse(
            ["judge": "local", "metrics": ["l2l", "p2l"], "sample": 2], file: "s.json")
        #expect(good.metrics == [.lineToLine, .promptToLine])
        #expect(good.sample == 2)
        #expect(throws: EvaluationError.self) {
            try EvaluationSettings.parse(["judge": "local", "metrics": ["echo"]], file: "s.json")
        }
        do {
            _ = try EvaluationSettings.parse(["judge": "local", "metrics": ["p2l", "echo"]], file: "s.json")
        } catch {
            #expect(error.description == "s.json: $.evaluation.metrics[1]: unknown metric; use p2l, l2l or qa")
        }
        do {
            _ = try EvaluationSettings.parse(["metrics": ["p2l"]], file: "s.json")
        } catch {
            #expect(error.path == "$.evaluation.judge")
        }
    }
}
