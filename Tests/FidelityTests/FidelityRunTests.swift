import AgoraTesting
import Environments
import Fidelity
import Foundation
import Inference
import Runs
import Storage
import Testing

/// A small reference package written to a temporary folder.
struct TinyPackage {
    let folder: URL

    static let survey: JSONValue = [
        "version": 1, "id": "tiny", "title": "Tiny", "source": "made up", "licence": "public domain",
        "data": "respondents.csv", "idColumn": "id", "weightColumn": "w", "missing": ["", "9"],
        "context": "The year is 2000.",
        "attributes": [
            ["column": "id", "name": "code"],
            ["column": "age", "name": "age", "type": "integer"],
        ],
        "questions": [
            [
                "column": "q1", "id": "mood", "scale": "ordinal", "text": "How do you feel today?",
                "options": [
                    ["code": "1", "label": "bad"], ["code": "2", "label": "fine"], ["code": "3", "label": "good"],
                ],
            ],
            [
                "column": "q2", "id": "pet", "scale": "nominal", "text": "Cat or dog?",
                "options": [["code": "c", "label": "cat"], ["code": "d", "label": "dog"]],
            ],
        ],
    ]

    static let csv = """
        id,age,w,q1,q2
        r1,20,1,1,c
        r2,30,2,2,d
        r3,40,1,3,c
        r4,50,1.5,2,d
        r5,60,1,3,d
        r6,70,0.5,9,c
        r7,25,1,1,d
        r8,35,1,2,c

        """

    init(survey: JSONValue = TinyPackage.survey, csv: String = TinyPackage.csv) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("agora-fidelity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try survey.serialized(pretty: true).write(
            to: folder.appendingPathComponent("survey.json"), atomically: true, encoding: .utf8)
        try csv.write(to: folder.appendingPathComponent("respondents.csv"), atomically: true, encoding: .utf8)
    }

    /// The label respondent `id` gave to the question asked in `request`.
    static func ownAnswer(_ request: ChatRequest, survey: ReferenceSurvey) -> String {
        let system = request.messages.first?.content ?? ""
        let user = request.messages.last?.content ?? ""
        guard let line = system.split(separator: "\n").first(where: { $0.hasPrefix("- code: ") }),
            let r = survey.respondentIDs.firstIndex(of: String(line.dropFirst(8))),
            let q = survey.questions.firstIndex(where: { user.contains($0.text) })
        else { return "{}" }
        let a = Int(survey.answer(r, q))
        let label = a >= 0 ? survey.questions[q].labels[a] : "nonsense"
        return #"{"answer": "\#(label)"}"#
    }
}

@Suite("The fidelity kind end to end with scripted models")
struct FidelityRunTests {
    static func run(_ package: TinyPackage, model: ScriptedModel, extra: JSONObject = JSONObject()) async throws
        -> RunSummary
    {
        var document = FidelityScenario.document(package: package.folder.path).objectValue ?? JSONObject()
        document["resamples"] = 200
        for (k, v) in extra { document[k] = v }
        return try await Launcher.run(
            file: nil, document: .object(document),
            options: RunOptions(outDirectory: package.folder.appendingPathComponent("runs")),
            models: FixedModels(model))
    }

    @Test("a model answering with each respondent's own answer scores accuracy 1 and similarity 1")
    func oracle() async throws {
        let package = try TinyPackage()
        let survey = try ReferenceSurvey.load(package.folder.path)
        let model = ScriptedModel { TinyPackage.ownAnswer($0, survey: survey) }
        let summary = try await Self.run(package, model: model)
        let fidelity = try #require(summary.results["fidelity"])
        #expect(fidelity["overall"]?["accuracy"]?["value"] == 1.0)
        #expect(fidelity["overall"]?["representativeness"]?["ordinal"]?["value"] == 1.0)
        #expect(fidelity["overall"]?["simbench"]?["value"] == 100.0)
        // Respondent r6 has a missing mood (code 9): its answer is "nonsense", a failed item.
        #expect(fidelity["questions"]?[0]?["failed"] == 1)
        #expect(fidelity["questions"]?[0]?["n"] == 7)
        #expect(summary.itemFailures == 1)
        let names = summary.outputs.map(\.lastPathComponent)
        #expect(names == ["transcripts.jsonl", "responses.csv", "fidelity.csv", "results.json", "report.html"])
        let html = try String(contentsOf: summary.directory.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("human split-half ceiling"))
        #expect(html.contains("Representativeness by group"))
        let csv = try String(contentsOf: summary.directory.appendingPathComponent("fidelity.csv"), encoding: .utf8)
        #expect(csv.hasPrefix("question,attribute,group,n,tvd,tvd_low,tvd_high,tvd_n,"))
        #expect(csv.contains("\nmood,,everyone,7,0,0,0,7,"))
        // The system prompt carries the persona; the question carries the codebook context first.
        let request = try #require(model.requests.first)
        #expect(request.messages.last?.content.hasPrefix("Please read this first:\nThe year is 2000.") == true)
    }

    @Test("a model that always answers the mode equals the majority reference point")
    func majority() async throws {
        let package = try TinyPackage()
        // Weighted modes: mood fine (weights 2 + 1.5 + 1 = 4.5), pet dog (2 + 1.5 + 1 + 1 = 5.5).
        let model = ScriptedModel { request in
            request.messages.last?.content.contains("Cat or dog?") == true
                ? #"{"answer": "dog"}"# : #"{"answer": "fine"}"#
        }
        let summary = try await Self.run(package, model: model)
        let fidelity = try #require(summary.results["fidelity"])
        let majority = try #require(fidelity["referencePoints"]?["majority"]?["overall"])
        for key in ["tvd", "simbench", "accuracy", "ordinalError"] {
            #expect(fidelity["overall"]?[key] == majority[key], "\(key)")
        }
        #expect(fidelity["overall"]?["representativeness"] == majority["representativeness"])
        // The quality flags trip: every simulated answer is the same.
        let flags = summary.results["quality"]?["flags"]?.arrayValue ?? []
        #expect(flags.count >= 2)
        #expect(flags.first?.stringValue?.hasPrefix("mood: 100% gave the same answer") == true)
    }

    @Test("a model answering uniformly at random lands within the uniform reference interval")
    func uniformRandom() async throws {
        // 600 respondents, one K = 3 question with skewed human answers.
        var rows = ["id,age,w,q1,q2"]
        for i in 0..<600 { rows.append("p\(i),\(20 + i % 50),1,\(i % 10 < 6 ? 1 : (i % 10 < 9 ? 2 : 3)),c") }
        let package = try TinyPackage(csv: rows.joined(separator: "\n") + "\n")
        let model = ScriptedModel { request in
            // A deterministic "random" pick: a stream seeded by the prompt's hash.
            let digest = SHA256.digest((request.messages.first?.content ?? "") + (request.messages.last?.content ?? ""))
            var seed: UInt64 = 0
            for byte in digest.prefix(8) { seed = seed << 8 | UInt64(byte) }
            var stream = RandomStream(seed: seed)
            let options =
                request.messages.last?.content.contains("Cat or dog?") == true
                ? ["cat", "dog"] : ["bad", "fine", "good"]
            return #"{"answer": "\#(options[Int(stream.nextInt(below: UInt64(options.count)))])"}"#
        }
        let summary = try await Self.run(package, model: model, extra: ["resamples": 300])
        let fidelity = try #require(summary.results["fidelity"])
        let uniform = try #require(fidelity["referencePoints"]?["uniform"]?["questions"]?[0]?["tvd"])
        let tvd = try #require(fidelity["questions"]?[0]?["tvd"]?["value"]?.doubleValue)
        let low = try #require(uniform["low"]?.doubleValue)
        let high = try #require(uniform["high"]?.doubleValue)
        #expect(tvd >= low - 0.03 && tvd <= high + 0.03, "tvd \(tvd) vs uniform [\(low), \(high)]")
        let accuracy = try #require(fidelity["questions"]?[0]?["accuracy"]?["value"]?.doubleValue)
        #expect(abs(accuracy - 1.0 / 3) < 0.06)
    }

    @Test("conditioning moves a question into the persona: it is not scored, and the baseline uses it")
    func conditioning() async throws {
        let package = try TinyPackage()
        let model = ScriptedModel { request in
            #expect(request.messages.first?.content.contains("- mood: ") == true)
            return #"{"answer": "dog"}"#
        }
        let summary = try await Self.run(package, model: model, extra: ["conditionOn": "mood"])
        let fidelity = try #require(summary.results["fidelity"])
        #expect(fidelity["questions"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["pet"])
        // r6 has no mood answer: skipped and counted.
        #expect(fidelity["sampling"]?["skippedMissingCondition"] == 1)
        #expect(fidelity["sampling"]?["respondents"] == 7)
        #expect(model.requests.count == 7)
    }

    @Test("an unknown conditioning question is bad input naming the path and the known ids")
    func unknownCondition() async throws {
        let package = try TinyPackage()
        await #expect(throws: RunError.self) {
            _ = try await Self.run(package, model: ScriptedModel(replies: []), extra: ["conditionOn": ["mood", "age"]])
        }
        do {
            _ = try await Self.run(package, model: ScriptedModel(replies: []), extra: ["conditionOn": ["mood", "age"]])
        } catch let error as RunError {
            #expect(error.path == "$.conditionOn[1]")
            #expect(error.message == "no question \"age\" in tiny; use one of mood, pet")
        }
    }

    @Test("compare: two runs of one package side by side with paired intervals of the differences")
    func compare() async throws {
        let package = try TinyPackage()
        let survey = try ReferenceSurvey.load(package.folder.path)
        let oracle = try await Self.run(package, model: ScriptedModel { TinyPackage.ownAnswer($0, survey: survey) })
        let mode = try await Self.run(
            package,
            model: ScriptedModel { request in
                request.messages.last?.content.contains("Cat or dog?") == true
                    ? #"{"answer": "dog"}"# : #"{"answer": "fine"}"#
            })
        let comparison = try await FidelityCompare.compare([oracle.directory, mode.directory], resamples: 200, seed: 4)
        let runs = try #require(comparison["runs"]?.arrayValue)
        #expect(runs.count == 2)
        #expect(runs[0]["overall"]?["accuracy"] == 1.0)
        let difference = try #require(runs[1]["differenceFromFirst"]?["accuracy"])
        let modeAccuracy = try #require(mode.results["fidelity"]?["overall"]?["accuracy"]?["value"]?.doubleValue)
        #expect(abs((difference["value"]?.doubleValue ?? 0) - (modeAccuracy - 1)) < 1e-6)
        let high = try #require(difference["high"]?.doubleValue)
        #expect(high < 0)  // the mode model is worse in every resample
        #expect(comparison["questions"]?[0]?["id"] == "mood")
        // A folder that is not a fidelity run is bad input.
        await #expect(throws: RunError.self) {
            _ = try await FidelityCompare.compare([oracle.directory, package.folder])
        }
    }

    @Test("agora report rebuilds a fidelity run's outputs byte for byte from its store")
    func report() async throws {
        let package = try TinyPackage()
        let survey = try ReferenceSurvey.load(package.folder.path)
        let summary = try await Self.run(package, model: ScriptedModel { TinyPackage.ownAnswer($0, survey: survey) })
        let before = try String(contentsOf: summary.directory.appendingPathComponent("fidelity.csv"), encoding: .utf8)
        let json = try await Launcher.report(summary.directory, format: .json)
        #expect(try JSONValue.parse(json) == summary.results)
        let after = try String(contentsOf: summary.directory.appendingPathComponent("fidelity.csv"), encoding: .utf8)
        #expect(before == after)
    }

    @Test("quota sampling: a population with the reference's weighted marginals, distribution figures only")
    func quota() async throws {
        let package = try TinyPackage()
        let model = ScriptedModel { request in
            #expect(request.messages.first?.content.contains("- age: ") == true)
            return request.messages.last?.content.contains("Cat or dog?") == true
                ? #"{"answer": "dog"}"# : #"{"answer": "good"}"#
        }
        let summary = try await Self.run(package, model: model, extra: ["sampling": "quota", "sample": 20])
        let fidelity = try #require(summary.results["fidelity"])
        #expect(fidelity["sampling"]?["mode"] == "quota")
        #expect(fidelity["sampling"]?["respondents"] == 20)
        #expect(fidelity["questions"]?[1]?["simulatedShares"] == [0.0, 1.0])
        #expect(fidelity["questions"]?[1]?["simulatedN"] == 20)
        // People's pet shares (weights): cat 1 + 1 + 0.5 + 1 = 3.5 of 9 → the TVD to all-dog is 3.5/9.
        let tvd = try #require(fidelity["questions"]?[1]?["tvd"]?["value"]?.doubleValue)
        #expect(abs(tvd - 3.5 / 9) < 1e-6)
        #expect(fidelity["overall"]?["accuracy"]?["value"] == .null)
        #expect(model.requests.count == 40)
        // The quotas are exact: the 8 codes' weighted shares over 20 personas.
        let personas = try #require(summary.results["units"]?["total"])
        #expect(personas == 20)
    }

    @Test("quota sampling on the shipped ANES package: exact education quotas from the weighted marginals")
    func quotaANES() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("agora-fid-quota-\(UUID().uuidString)")
        let model = ScriptedModel { request in
            let first = (request.messages.last?.content ?? "").split(separator: "\n").first { $0.hasPrefix("- ") }
            return #"{"answer": "\#(first.map { String($0.dropFirst(2)) } ?? "")"}"#
        }
        let document: JSONValue = [
            "kind": "fidelity", "reference": .string(root.appendingPathComponent("Scenarios/benchmarks/anes1996").path),
            "sampling": "quota", "sample": 50, "resamples": 50,
        ]
        let summary = try await Launcher.run(
            file: nil, document: document, options: RunOptions(outDirectory: out), models: FixedModels(model))
        #expect(summary.unitsDone == 50)
        let stored = try RunStore.open(summary.directory)
        let personas = try await stored.personas()
        // ANES education: 944 people, high school diploma 248 (26.3%) → 13 of 50.
        let highSchool = personas.filter { $0.json["attributes"]?["education"] == "high school diploma" }.count
        #expect(highSchool == 13)
        // With a two-way table of education × age as the target, the quota still holds; a name that
        // is not an attribute is bad input at its path.
        var joint = document.objectValue ?? JSONObject()
        joint["quotaJoint"] = [["education", "age"]]
        let jointRun = try await Launcher.run(
            file: nil, document: .object(joint), options: RunOptions(outDirectory: out), models: FixedModels(model))
        #expect(jointRun.unitsDone == 50)
        joint["quotaJoint"] = [["education", "agee"]]
        do {
            _ = try await Launcher.run(
                file: nil, document: .object(joint), options: RunOptions(outDirectory: out), models: FixedModels(model))
            Issue.record("a bad quotaJoint ran")
        } catch let error as RunError {
            #expect(error.path == "$.quotaJoint[0][1]")
        }
        // Always choosing the first option shown is position bias, and the flags say so.
        let flags = summary.results["quality"]?["flags"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(flags.contains { $0.contains("chose the first option shown") })
    }

    @Test("the same run twice gives byte-identical results (bootstrap, split-half, folds)")
    func determinism() async throws {
        let package = try TinyPackage()
        let survey = try ReferenceSurvey.load(package.folder.path)
        let a = try await Self.run(package, model: ScriptedModel { TinyPackage.ownAnswer($0, survey: survey) })
        let b = try await Self.run(package, model: ScriptedModel { TinyPackage.ownAnswer($0, survey: survey) })
        #expect(a.results["fidelity"]?.serialized() == b.results["fidelity"]?.serialized())
        #expect(a.directory != b.directory)
    }
}
