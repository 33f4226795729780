import Foundation
import Runs
import Storage
import Testing

@testable import Evaluation

/// A small focus-group run folder written straight into a run store (no model): one session, a
/// moderator and two participants.
enum KitFixture {
    static let document: JSONValue = [
        "version": 1, "id": "kit-group", "kind": "focus-group", "title": "Kit", "seed": 3,
        "session": ["moderator": "mod", "participants": ["mod", "rita", "omar"]],
    ]

    static func persona(_ id: String, _ name: String, _ narrative: String) -> (id: String, json: JSONValue) {
        (id, ["id": .string(id), "name": .string(name), "attributes": ["age": 40], "narrative": .string(narrative)])
    }

    static func event(_ seq: Int, _ kind: String, _ speaker: String?, _ name: String?, _ content: String) -> RunEvent {
        RunEvent(seq: seq, kind: kind, speaker: speaker, speakerName: name, content: content, data: .null)
    }

    /// The events: narration 0, moderator 1, Rita 2, Omar 3, Rita 4, Omar 5.
    static let events: [RunEvent] = [
        event(0, "narration", nil, nil, "Phase 1 of 1, bikes: How do you get around?"),
        event(1, "utterance", "mod", "Dana", "Rita, how do you get around?"),
        event(2, "utterance", "rita", "Rita", "I walk, or take the bus; I never learned to drive."),
        event(3, "utterance", "omar", "Omar", "I cycle 12 km, \"rain or shine\", every day."),
        event(4, "utterance", "rita", "Rita", "My car is great for the shops."),
        event(5, "utterance", "omar", "Omar", "Data, gadgets,\nand bikes."),
    ]

    static func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("agora-kit-\(UUID().uuidString)")
    }

    /// Writes the run (one done unit `session-1`) and returns its folder.
    static func run(_ document: JSONValue = KitFixture.document) async throws -> URL {
        let directory = temporaryDirectory()
        let manifest = RunManifest(
            runID: "kit-group-s3", kind: "focus-group", document: document, sourceFile: nil, seed: 3, model: "scripted")
        let store = try await RunStore.create(
            at: directory, manifest: manifest,
            personas: [
                persona("mod", "Dana", "Dana moderates."),
                persona("rita", "Rita", "Rita has never driven a car."),
                persona("omar", "Omar", "Omar cycles to work."),
            ],
            units: [
                UnitSpec(index: 0, id: "session-1", kind: "session", input: ["participants": ["mod", "rita", "omar"]])
            ])
        try await store.commit(
            UnitOutcome(
                index: 0, status: .done, result: ["turns": 5, "failedTurns": 0, "roleConfusions": 0], events: events))
        return directory
    }

    /// consistency-lines.jsonl per the issue-12 contract: p2l verdicts on lines 2, 3, 4 and an l2l line.
    static func writeJudgeLines(_ directory: URL) throws {
        let lines = [
            #"{"item":"session-1#2","unit":"session-1","speaker":"Rita","seq":2,"metric":"p2l","verdict":"consistent","value":1,"reason":"fits"}"#,
            #"{"item":"session-1#3","unit":"session-1","speaker":"Omar","seq":3,"metric":"p2l","verdict":"contradiction","value":0,"reason":"YES it is odd"}"#,
            #"{"item":"session-1#4","unit":"session-1","speaker":"Rita","seq":4,"metric":"l2l","verdict":"contradiction","value":0,"reason":"car"}"#,
            #"{"item":"session-1#4","unit":"session-1","speaker":"Rita","seq":4,"metric":"p2l","verdict":"consistent","value":1,"reason":"ok"}"#,
        ]
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(
            to: directory.appendingPathComponent("consistency-lines.jsonl"))
    }
}

@Suite("Validation kit: κ statistics")
struct KappaTests {
    @Test("Cohen's κ: perfect agreement is 1, chance-level agreement is 0")
    func cohenEdges() {
        #expect(Agreement.weightedKappa([(1, 1), (0, 0), (1, 1), (1, 1), (0, 0)], categories: 2) == 1)
        // po = 0.5; marginals 0.5/0.5 on both sides, so pe = 0.5 and κ = 0.
        #expect(Agreement.weightedKappa([(1, 1), (1, 0), (0, 1), (0, 0)], categories: 2) == 0)
        // Both always "consistent": chance agreement is 1, κ undefined.
        #expect(Agreement.weightedKappa([(1, 1), (1, 1)], categories: 2) == nil)
        #expect(Agreement.weightedKappa([], categories: 2) == nil)
    }

    @Test("Cohen's κ on a worked binary example is 8/23")
    func cohenWorked() throws {
        // Judge 1111111000 vs rater 1111100001: cells (1,1) = 5, (1,0) = 2, (0,0) = 2, (0,1) = 1.
        // po = 7/10; judge marginals 0.7/0.3, rater 0.6/0.4: pe = 0.7·0.6 + 0.3·0.4 = 0.54.
        // κ = (0.70 − 0.54) / (1 − 0.54) = 0.16 / 0.46 = 8/23 ≈ 0.347826.
        let judge = [1, 1, 1, 1, 1, 1, 1, 0, 0, 0]
        let rater = [1, 1, 1, 1, 1, 0, 0, 0, 0, 1]
        let kappa = try #require(Agreement.weightedKappa(Array(zip(judge, rater)), categories: 2))
        #expect(abs(kappa - 8.0 / 23.0) < 1e-12)
        #expect(Agreement.percentAgreement(Array(zip(judge, rater))) == 0.7)
    }

    @Test("linear weights: three categories, half credit one step apart, κ = 0.25")
    func linearWeights() throws {
        // Pairs (0,0) (1,1) (2,2) (0,1) (1,2) (2,0); weights 1, 0.5, 0 by distance.
        // po = (3·1 + 2·0.5 + 0) / 6 = 2/3; every marginal is 1/3, so pe = (1/9)·Σw = (1/9)(3 + 4·0.5) = 5/9.
        // κ = (2/3 − 5/9) / (1 − 5/9) = (1/9) / (4/9) = 0.25.
        let kappa = try #require(
            Agreement.weightedKappa([(0, 0), (1, 1), (2, 2), (0, 1), (1, 2), (2, 0)], categories: 3))
        #expect(abs(kappa - 0.25) < 1e-12)
    }

    @Test("Fleiss' κ: perfect 1, chance 0, and a worked example of 1/3")
    func fleiss() throws {
        #expect(Agreement.fleissKappa([[0, 3], [3, 0]]) == 1)
        // P_i = 1, 1, 0, 0 → P̄ = 0.5; categories 4/8 each → P̄e = 0.5 → κ = 0.
        #expect(Agreement.fleissKappa([[2, 0], [0, 2], [1, 1], [1, 1]]) == 0)
        // 3 raters: P_i = 1, 1, 1/3, 1/3 → P̄ = 2/3; 6 of 12 ratings each way → P̄e = 0.5;
        // κ = (2/3 − 1/2) / (1/2) = 1/3.
        let kappa = try #require(Agreement.fleissKappa([[0, 3], [3, 0], [1, 2], [2, 1]]))
        #expect(abs(kappa - 1.0 / 3.0) < 1e-12)
        // Items with fewer than two ratings do not count.
        #expect(Agreement.fleissKappa([[0, 1], [1, 0]]) == nil)
    }
}

@Suite("Validation kit: items and agreement on a run folder")
struct ValidationKitTests {
    @Test("items CSV round trip keeps commas, quotes and line breaks")
    func csvRoundTrip() throws {
        let items = [
            RatingItem(
                item: "s#1", unit: "s", speaker: "Rita, Jr.", persona: "Says \"never\".\nTwo lines.",
                priorLines: "[0] A: x\n[1] B: y, z", line: "Plain"),
            RatingItem(item: "s#2", unit: "s", speaker: "Ómar", persona: "", priorLines: "", line: "\"quoted\""),
        ]
        let csv = RatingItems.csv(items)
        #expect(csv.hasPrefix("item,unit,speaker,persona,prior_lines,line,instruction,rating\n"))
        #expect(csv.contains("s#1,s,\"Rita, Jr.\",\"Says \"\"never\"\".\nTwo lines.\","))
        #expect(try RatingItems.parse(csv) == items)
    }

    @Test("export-items: every participant line before the judge ran, the judged lines after")
    func exportItems() async throws {
        let directory = try await KitFixture.run()
        defer { try? FileManager.default.removeItem(at: directory) }
        let before = try await RatingItems.items(directory)
        #expect(before.map(\.item) == ["session-1#2", "session-1#3", "session-1#4", "session-1#5"])
        #expect(before[0].speaker == "Rita")
        #expect(before[0].persona.contains("Rita has never driven a car."))
        #expect(
            before[2].priorLines
                == "[0] Narrator: Phase 1 of 1, bikes: How do you get around?\n[1] Dana: Rita, how do you get around?\n[2] Rita: I walk, or take the bus; I never learned to drive.\n[3] Omar: I cycle 12 km, \"rain or shine\", every day."
        )
        #expect(before[2].line == "My car is great for the shops.")
        try KitFixture.writeJudgeLines(directory)
        let after = try await RatingItems.items(directory)
        #expect(after.map(\.item) == ["session-1#2", "session-1#3", "session-1#4"])
        let sampled = RatingItems.sample(before, count: 2, seed: 9)
        #expect(sampled.count == 2)
        #expect(sampled == RatingItems.sample(before, count: 2, seed: 9))
        #expect(sampled.map(\.item) == sampled.map(\.item).sorted())
    }

    @Test("agreement joins ratings with the judge's p2l verdicts (hand-computed κ)")
    func agreement() async throws {
        let directory = try await KitFixture.run()
        defer { try? FileManager.default.removeItem(at: directory) }
        let csv = """
            item,rater,rating
            session-1#2,alice,5
            session-1#3,alice,2
            session-1#4,alice,3
            session-1#2,bob,6
            session-1#3,bob,1
            session-1#4,bob,4
            """
        let ratings = try Agreement.parseRatings(csv, file: "ratings.csv")
        #expect(throws: RunError.self) { try Agreement.report(directory, ratings: ratings) }
        try KitFixture.writeJudgeLines(directory)
        let report = try Agreement.report(directory, ratings: ratings)
        // Judge 1,0,1. Alice binarised 1,0,0: po = 2/3; judge marginals 2/3·1/3, alice 1/3·2/3;
        // pe = (2/3)(1/3) + (1/3)(2/3) = 4/9; κ = (2/3 − 4/9) / (5/9) = 0.4. Bob 1,0,1: κ = 1.
        let raters = try #require(report["judgeVsRater"]?.arrayValue)
        #expect(raters[0]["rater"] == "alice")
        #expect(raters[0]["n"]?.intValue == 3)
        #expect(raters[0]["cohenKappa"]?.doubleValue == 0.4)
        #expect(raters[0]["percentAgreement"]?.doubleValue == 0.666667)
        #expect(raters[1]["cohenKappa"]?.doubleValue == 1)
        #expect(raters[1]["percentAgreement"]?.doubleValue == 1)
        // Among raters: items [0,2], [2,0], [1,1] → P̄ = 2/3, P̄e = 0.5 → κ = 1/3; 2 of 3 pairs agree.
        #expect(report["raters"]?["fleissKappa"]?.doubleValue == 0.333333)
        #expect(report["raters"]?["percentAgreement"]?.doubleValue == 0.666667)
        #expect(report["raters"]?["n"]?.intValue == 3)
        let text = Agreement.markdown(report)
        #expect(text.contains("| alice | 3 | 0.400 | 66.7% |"))
        #expect(text.contains("Fleiss' κ 0.333, agreement 66.7% (n = 3 items"))
    }

    @Test("ratings errors name the line and column and the fix")
    func ratingsErrors() {
        func message(_ text: String) -> String {
            do {
                _ = try Agreement.parseRatings(text, file: "r.csv")
                return ""
            } catch {
                return error.description
            }
        }
        #expect(
            message("item,rater,rating\ns#1,alice,5\ns#2,alice,7\n")
                == "r.csv: line 3, column 3: the rating \"7\" is not a whole number from 1 to 6")
        #expect(
            message("item,who,rating\ns#1,alice,5\n").hasPrefix("r.csv: line 1: the header has no \"rater\" column"))
        #expect(message("item,rater,rating\ns#1,alice\n").hasPrefix("r.csv: line 2, column 3: this row has 2 cells"))
        #expect(
            message("item,rater,rating\ns#1,alice,5\ns#1,alice,4\n")
                == "r.csv: line 3, column 2: alice rated s#1 already on line 2; keep one rating per item and rater")
        #expect(
            message("item,rater,rating\n\"s#1,alice,5\n").hasPrefix(
                "r.csv: line 2, column 1: a quoted field is never closed"))
    }
}

@Suite("agora compare on run folders")
struct RunComparisonTests {
    static func variant(_ changes: [(String, JSONValue)]) -> JSONValue {
        var object = KitFixture.document.objectValue ?? JSONObject()
        for (key, value) in changes { object[key] = value }
        return .object(object)
    }

    @Test("runs differing only in seed and context projection compare; another scenario is refused naming the key")
    func sameScenario() async throws {
        let a = try await KitFixture.run()
        let b = try await KitFixture.run(Self.variant([("seed", 9), ("context", "concat")]))
        let c = try await KitFixture.run(Self.variant([("title", "Other")]))
        defer { for url in [a, b, c] { try? FileManager.default.removeItem(at: url) } }
        let comparison = try await RunComparison.compare([a, b], resamples: 100)
        #expect(comparison["columns"]?.arrayValue?.map { $0["projection"]?.stringValue } == ["ecp", "concat"])
        let echo = comparison["rows"]?.arrayValue?.first { $0["figure"] == "echoRate" }
        #expect(echo?["columns"]?[0]?["n"]?.intValue == 1)
        // One conversation per side: a difference but no interval.
        #expect(echo?["differences"]?[0]?["ci"] == .null)
        #expect(echo?["differences"]?[0]?["paired"] == true)
        do {
            _ = try await RunComparison.compare([a, c])
            Issue.record("runs of different scenarios compared")
        } catch let error as RunError {
            #expect(error.file == c.path)
            #expect(error.message.contains("they differ in \"title\""))
        }
        do {
            _ = try await RunComparison.compare([a])
            Issue.record("one column compared")
        } catch let error as RunError {
            #expect(error.message.contains("compare needs two columns"))
        }
    }

    @Test("the bootstrap of a difference is seeded, paired over shared keys, independent otherwise")
    func bootstrap() {
        let a = [RunComparison.Value(key: "s1", value: 0.2), RunComparison.Value(key: "s2", value: 0.4)]
        let b = [RunComparison.Value(key: "s1", value: 0.5), RunComparison.Value(key: "s2", value: 0.9)]
        let paired = RunComparison.difference(a, b, resamples: 500, stream: RandomStream(seed: 4))
        #expect(paired.paired)
        #expect(abs(paired.estimate - 0.4) < 1e-12)
        // Paired differences are 0.3 and 0.5: every resample mean lies in [0.3, 0.5].
        let interval = paired.interval ?? (0, 0)
        #expect(interval.0 >= 0.3 - 1e-12 && interval.1 <= 0.5 + 1e-12)
        let again = RunComparison.difference(a, b, resamples: 500, stream: RandomStream(seed: 4))
        #expect(again.interval.map { [$0.0, $0.1] } == paired.interval.map { [$0.0, $0.1] })
        let other = [RunComparison.Value(key: "x", value: 0.5), RunComparison.Value(key: "y", value: 0.9)]
        #expect(!RunComparison.difference(a, other, resamples: 500, stream: RandomStream(seed: 4)).paired)
    }
}
