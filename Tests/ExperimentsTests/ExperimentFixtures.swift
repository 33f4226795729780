import AgoraTesting
import Environments
import Foundation
import Inference
import Runs
import Storage

/// Experiment documents, scripted respondents and a runner for the experiment tests.
enum ExperimentFixtures {
    /// `count` inline personas named `Person N` (N from 1), with a `group` attribute independent of N's parity.
    static func population(_ count: Int) -> JSONValue {
        .object(
            JSONObject([
                (
                    "inline",
                    .array(
                        (1...count).map { n in
                            [
                                "id": .string("p\(n)"), "name": .string("Person \(n)"),
                                "attributes": ["group": .string(n / 2 % 2 == 0 ? "x" : "y")],
                            ]
                        })
                )
            ]))
    }

    /// A survey with a Likert item `interest` and a single-choice item `buy`.
    static func survey(_ count: Int) -> JSONValue {
        [
            "kind": "survey", "id": "base", "seed": 3, "population": population(count),
            "survey": [
                "instructions": "Answer as yourself.", "context": "A solar kettle.",
                "items": [
                    [
                        "id": "interest", "type": "likert", "question": "How interested are you?",
                        "scale": ["min": 1, "max": 5],
                    ],
                    ["id": "buy", "type": "single-choice", "question": "Would you buy it?", "options": ["Yes", "No"]],
                ],
            ],
        ]
    }

    /// The N of `You are Person N.` in the system message.
    static func person(_ request: ChatRequest) -> Int {
        let system = request.messages.first?.content ?? ""
        guard let range = system.range(of: "You are Person ") else { return 0 }
        return Int(system[range.upperBound...].prefix { $0.isNumber }) ?? 0
    }

    /// Likert answers 2 + N mod 3, plus one in arm B (`VARIANT-B` in the context) for even N; `buy`
    /// is Yes for N divisible by 4 (no effect).
    static let plantedModel = ScriptedModel(rule: { request in
        let n = person(request)
        let text = request.messages.map(\.content).joined(separator: "\n")
        if text.contains("Would you buy it?") { return "{\"answer\": \"\(n % 4 == 0 ? "Yes" : "No")\"}" }
        var value = 2 + n % 3
        if text.contains("VARIANT-B"), n % 2 == 0 { value += 1 }
        if text.contains("Price: $49") { value -= 1 }
        return "{\"answer\": \(value)}"
    })

    /// A fresh output folder.
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("agora-exp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs `document` with `model`.
    static func run(
        _ document: JSONValue, model: any LanguageModel, out: URL? = nil, concurrency: Int = 2, limit: Int? = nil,
        resume: URL? = nil
    ) async throws -> RunSummary {
        var options = RunOptions(outDirectory: try out ?? folder())
        options.concurrency = concurrency
        options.limit = limit
        options.resume = resume
        // `JSONValue` is nil-literal convertible: spell the optional out, or `nil` becomes `.null`.
        let given: JSONValue? = resume == nil ? .some(document) : .none
        return try await Launcher.run(file: nil, document: given, options: options, models: FixedModels(model))
    }

    static func read(_ directory: URL, _ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }
}
