import Foundation
public import Inference
public import Population
public import Runs
public import Storage

/// The fidelity kind: one unit per sampled respondent, who answers every scored question of the
/// reference survey through one structured call per question; results compare the answers with
/// the same people's real ones (spec §F.2–F.4).
public struct FidelityRunKind: RunKind {
    /// The scenario.
    public let scenario: FidelityScenario
    /// The model (already wrapped in the response cache); nil for `agora report`.
    public let model: (any LanguageModel)?

    /// Creates the kind.
    public init(_ scenario: FidelityScenario, model: (any LanguageModel)?) {
        self.scenario = scenario
        self.model = model
    }

    /// `fidelity`.
    public var name: String { "fidelity" }
    /// The scenario document.
    public var document: JSONValue { scenario.document }
    /// The scenario file.
    public var sourceFile: String? { scenario.file }
    /// The run seed.
    public var seed: UInt64 { scenario.seed }
    /// The model's identifier.
    public var modelLabel: String { model?.identifier ?? "" }
    /// `<id>-s<seed>`, numbered when taken.
    public var folder: RunFolder { .numbered("\(scenario.id)-s\(scenario.seed)") }

    /// One persona and one unit per sampled respondent.
    public func plan() async throws -> RunPlan {
        if scenario.sampling == "quota" {
            let people = try await FidelityQuota.personas(scenario, count: scenario.sample ?? 100)
            return RunPlan(
                personas: people.map {
                    StoredPersona(id: $0.id, json: Persona(id: $0.id, attributes: $0.attributes).json)
                },
                units: people.enumerated().map { index, person in
                    UnitSpec(
                        index: index, id: person.id, kind: "fidelity-respondent",
                        input: [
                            "persona": .string(person.id), "cells": .array(person.cells.map { .integer(Int64($0)) }),
                        ])
                })
        }
        let (rows, _) = scenario.respondents()
        guard !rows.isEmpty else {
            throw RunError(
                .invalidInput, "no respondent has every conditioning answer; condition on other questions",
                file: scenario.file, path: "$.conditionOn")
        }
        var personas: [StoredPersona] = []
        var units: [UnitSpec] = []
        for (index, r) in rows.enumerated() {
            let id = scenario.survey.respondentIDs[r]
            let attributes = JSONObject(scenario.personaLines(r).map { ($0.name, .string($0.value)) })
            personas.append(StoredPersona(id: id, json: Persona(id: id, attributes: attributes).json))
            units.append(
                UnitSpec(
                    index: index, id: id, kind: "fidelity-respondent",
                    input: ["persona": .string(id), "row": .integer(Int64(r))]))
        }
        return RunPlan(personas: personas, units: units)
    }

    /// The scored question indices.
    var scored: [Int] {
        scenario.survey.questions.indices.filter { !scenario.conditionOn.contains(scenario.survey.questions[$0].id) }
    }

    /// The system message: the persona block, then the instructions.
    public static func systemPrompt(
        _ persona: Persona, rendering: FidelityScenario.PersonaRendering, instructions: String
    )
        -> String
    {
        let block: String
        switch rendering {
        case .attributes:
            block = persona.promptText
        case .firstPerson:
            block = persona.attributes.map { "My \($0.key) is \(Persona.promptValue($0.value))." }.joined(
                separator: " ")
        }
        return ["You are taking part in a survey as the person described here.", block, instructions]
            .filter { !$0.isEmpty }.joined(separator: "\n\n")
    }

    /// The question as shown: the codebook context first, the wording, the options in `shown` order.
    public static func questionPrompt(_ question: ReferenceQuestion, shown: [String], context: String?) -> String {
        var lines: [String] = []
        if let context { lines += ["Please read this first:", context, ""] }
        lines.append(question.text)
        lines.append("Choose exactly one option (copy its text exactly):")
        lines += shown.map { "- \($0)" }
        lines.append("Reply with JSON only: {\"answer\": …}")
        return lines.joined(separator: "\n")
    }

    /// The option positions of `question` in the order respondent `persona` sees them (seeded).
    public func shownOrder(_ question: ReferenceQuestion, persona: String) -> [Int] {
        var order = Array(0..<question.optionCount)
        var stream = RandomStream(seed: seed).substream("fidelity/options/\(persona)/\(question.id)")
        stream.shuffle(&order)
        return order
    }

    /// Asks one respondent every scored question.
    public func run(_ unit: UnitSpec, context: UnitContext) async throws -> UnitOutcome {
        guard let model else { throw RunError(.invalidInput, "no model to run \(scenario.id) with") }
        let recorder = context.recording(model)
        let id = unit.input["persona"]?.stringValue ?? ""
        guard let stored = context.persona(id), let persona = try? Persona(json: stored.json) else {
            throw RunError(.runStore, "the run has no persona \"\(id)\"")
        }
        let system = Self.systemPrompt(persona, rendering: scenario.persona, instructions: scenario.instructions)
        let generator = StructuredGenerator(model: recorder)
        var events: [RunEvent] = []
        var answers = JSONObject()
        var firstShown = JSONObject()
        var failures: [JSONValue] = []
        for j in scored {
            let question = scenario.survey.questions[j]
            let order = shownOrder(question, persona: id)
            let shown = order.map { question.labels[$0] }
            let prompt = Self.questionPrompt(question, shown: shown, context: scenario.survey.context)
            firstShown[question.id] = .string(question.codes[order[0]])
            events.append(
                RunEvent(
                    seq: events.count, kind: "utterance", speaker: "survey", speakerName: "Survey", content: prompt,
                    data: ["item": .string(question.id), "options": .array(shown.map { .string($0) })]))
            let schema: JSONValue = [
                "type": "object",
                "properties": ["answer": ["type": "string", "enum": .array(shown.map { .string($0) })]],
                "required": ["answer"], "additionalProperties": false,
            ]
            let request = ChatRequest(
                messages: [.system(system), .user(prompt)], temperature: scenario.temperature,
                maxTokens: 16 + 12 * question.optionCount)
            do {
                let result = try await generator.generate(request, schema: schema, name: "survey_answer")
                guard let label = result.value["answer"]?.stringValue, let k = question.labels.firstIndex(of: label)
                else {
                    throw InferenceError(.invalidStructuredOutput, "the answer is not one of the options")
                }
                answers[question.id] = .string(question.codes[k])
                events.append(
                    RunEvent(
                        seq: events.count, kind: "answer", speaker: id, speakerName: id, content: label,
                        data: ["item": .string(question.id), "answer": .string(question.codes[k])]))
            } catch let error as InferenceError where error.code == .invalidStructuredOutput {
                answers[question.id] = .null
                failures.append(["item": .string(question.id), "reason": .string(error.message)])
                events.append(
                    RunEvent(
                        seq: events.count, kind: "answer", speaker: id, speakerName: id, content: "",
                        data: ["item": .string(question.id), "failed": .string(error.message)]))
            }
        }
        let result: JSONValue = [
            "persona": .string(id), "row": unit.input["row"] ?? .null, "cells": unit.input["cells"] ?? .null,
            "answers": .object(answers),
            "firstShown": .object(firstShown), "failures": .array(failures),
        ]
        return UnitOutcome(
            index: unit.index, status: .done, result: result, events: events, modelCalls: recorder.calls)
    }

    /// results.json: unit counts, `fidelity`, `quality`, usage.
    public func results(_ data: RunData) async throws -> JSONValue {
        let analysis = await FidelityRunAnalysis.analyse(scenario, data: data)
        return [
            "kind": "fidelity", "title": .string(scenario.survey.title), "units": RunReport.unitCounts(data),
            "fidelity": analysis, "quality": FidelityRunAnalysis.quality(scenario, data: data),
            "usage": RunReport.usage(data),
        ]
    }

    /// transcripts.jsonl, responses.csv, fidelity.csv, results.json, report.html.
    public func outputs(_ data: RunData, results: JSONValue) async throws -> [RunOutput] {
        [
            RunOutput(
                "transcripts.jsonl", RunReport.transcripts(data) { $0 == "survey" ? "interviewer" : "respondent" }),
            RunOutput("responses.csv", FidelityRunAnalysis.responsesCSV(scenario, data: data)),
            RunOutput("fidelity.csv", FidelityReport.csv(results["fidelity"] ?? .null)),
            RunOutput("results.json", results.serialized(pretty: true) + "\n"),
            RunOutput("report.html", FidelityReport.html(data, results: results)),
        ]
    }

    /// The page, results.json, or the Markdown table.
    public func report(_ data: RunData, results: JSONValue, format: ReportFormat) throws -> String {
        switch format {
        case .html: FidelityReport.html(data, results: results)
        case .json: results.serialized(pretty: true) + "\n"
        case .md: FidelityReport.markdown(results)
        }
    }

    /// The overall figures next to the reference points.
    public func summaryLines(_ data: RunData, results: JSONValue) -> [String] {
        FidelityBaseline.table(results["fidelity"] ?? .null)
    }
}

/// Registers the fidelity kind.
public enum FidelityKindLoader: RunKindLoader {
    /// `fidelity`.
    public static var names: [String] { ["fidelity"] }

    /// Parses the scenario (validating the package) and asks for the run's model.
    public static func load(_ source: RunSource) async throws -> any RunKind {
        let scenario = try FidelityScenario.parse(
            source.document, file: source.file, baseDirectory: source.baseDirectory, overrides: source.overrides)
        let model = source.purpose == .report ? nil : try await source.models.model(scenario.model)
        return FidelityRunKind(scenario, model: model)
    }
}
