import Foundation
public import Runs
public import Storage

/// A fidelity scenario (`kind: "fidelity"`, docs/fidelity.md): which reference package, how
/// respondents are sampled and rendered, and the survey instructions.
public struct FidelityScenario: Sendable {
    /// How personas are rendered into the prompt.
    public enum PersonaRendering: String, Sendable, CaseIterable {
        /// `About you:` with one `- name: value` line per attribute (Persona.promptText).
        case attributes
        /// One first-person backstory sentence per attribute (Argyle et al.'s style).
        case firstPerson = "first-person"
    }

    /// The run id's base.
    public var id: String
    /// The reference package folder.
    public var reference: String
    /// `silicon` (one persona per respondent) or `quota` (a population with the reference's
    /// weighted marginals as exact quotas; distribution-level figures only).
    public var sampling: String
    /// Respondents sampled without replacement (nil: all); with quota sampling, the population size
    /// (nil: 100).
    public var sample: Int?
    /// The run seed.
    public var seed: UInt64
    /// Question ids moved into the persona (not scored).
    public var conditionOn: [String]
    /// How personas are rendered.
    public var persona: PersonaRendering
    /// Attribute pairs (by name) whose weighted two-way table is a quota target (quota sampling).
    public var quotaJoint: [(String, String)] = []
    /// The survey instructions in the system message.
    public var instructions: String
    /// Bootstrap resamples.
    public var resamples: Int
    /// Sampling temperature (nil: the provider's default).
    public var temperature: Double?
    /// The model spec, if the file names one (`--model` wins).
    public var model: String?
    /// The document (with the command line's overrides applied).
    public var document: JSONValue
    /// The file, if any.
    public var file: String?
    /// The package, loaded and validated.
    public var survey: ReferenceSurvey

    /// The default survey instructions.
    public static let defaultInstructions =
        "Answer every question as the person described above would, in their circumstances and with their views. Choose exactly one of the options given."

    /// The scenario document `agora fidelity run PACKAGE` runs.
    public static func document(package: String) -> JSONValue {
        ["kind": "fidelity", "reference": .string(package)]
    }

    /// Parses and validates a fidelity scenario; `overrides` (from the command line) win.
    public static func parse(_ given: JSONValue, file: String?, baseDirectory: String?, overrides: JSONObject)
        throws(RunError) -> FidelityScenario
    {
        var object = given.objectValue ?? JSONObject()
        for (key, value) in overrides { object[key] = value }
        let document = JSONValue.object(object)
        let root = JSONPathReader<RunError>(document, file: file)
        _ = try root.object()
        try root.allowOnly([
            "kind", "id", "reference", "sampling", "sample", "seed", "conditionOn", "persona", "instructions",
            "resamples", "temperature", "model", "description", "quotaJoint",
        ])
        let referenceText = try root.nonEmptyString("reference")
        let reference =
            referenceText.hasPrefix("/") || baseDirectory == nil
            ? referenceText : URL(fileURLWithPath: baseDirectory ?? ".").appendingPathComponent(referenceText).path
        let sampling = try root.optionalString("sampling") ?? "silicon"
        guard sampling == "silicon" || sampling == "quota" else {
            throw root.fail(
                "sampling",
                "unknown sampling \"\(sampling)\"; use silicon (one persona per respondent) or quota (a population with the reference's marginals)"
            )
        }
        let renderingText = try root.optionalString("persona") ?? "attributes"
        guard let rendering = PersonaRendering(rawValue: renderingText) else {
            throw root.fail("persona", "unknown persona rendering \"\(renderingText)\"; use attributes or first-person")
        }
        var survey: ReferenceSurvey
        do {
            survey = try ReferenceSurvey.load(reference)
        } catch {
            if error.file == nil || error.code == .io {
                throw RunError(
                    error.code, "\(error.message) (from \"reference\")", file: error.file ?? file,
                    path: error.path ?? "$.reference")
            }
            throw error
        }
        var conditionOn: [String] = []
        if let reader = root["conditionOn"], !reader.value.isNull, sampling == "quota" {
            throw reader.fail("conditioning needs one persona per respondent; use \"sampling\": \"silicon\"")
        }
        if let reader = root["conditionOn"], !reader.value.isNull {
            let ids: [String]
            if let text = reader.value.stringValue {
                ids = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            } else {
                ids = try root.strings("conditionOn")
            }
            for (i, id) in ids.enumerated() where survey.questionIndex(id) == nil {
                throw RunError(
                    .invalidInput,
                    "no question \"\(id)\" in \(survey.id); use one of \(survey.questions.map(\.id).joined(separator: ", "))",
                    file: file, path: "$.conditionOn[\(i)]")
            }
            conditionOn = ids
            if ids.count >= survey.questions.count {
                throw root.fail("conditionOn", "every question is a condition, so none is left to score; drop one")
            }
        }
        var quotaJoint: [(String, String)] = []
        var used: Set<String> = []
        for (i, pair) in (try root.has("quotaJoint") ? root.elements("quotaJoint") : []).enumerated() {
            let names = try pair.elements().map { reader throws(RunError) in try reader.string() }
            guard names.count == 2, names[0] != names[1] else {
                throw pair.fail("give two different attribute names, e.g. [\"age\", \"education\"]")
            }
            for (j, name) in names.enumerated() {
                guard survey.attributes.contains(where: { $0.name == name }) else {
                    throw RunError(
                        .invalidInput,
                        "no attribute \"\(name)\" in \(survey.id); use one of \(survey.attributes.map(\.name).joined(separator: ", "))",
                        file: file, path: "$.quotaJoint[\(i)][\(j)]")
                }
                guard used.insert(name).inserted else {
                    throw RunError(
                        .invalidInput, "attribute \"\(name)\" is in two tables; give each attribute at most one",
                        file: file, path: "$.quotaJoint[\(i)][\(j)]")
                }
            }
            quotaJoint.append((names[0], names[1]))
        }
        if !quotaJoint.isEmpty, sampling != "quota" {
            throw root.fail("quotaJoint", "two-way tables are quota targets; add \"sampling\": \"quota\"")
        }
        let sample = try root.optionalInt("sample", range: 1...10_000_000)
        let seedValue = try root.optionalInt("seed") ?? 1
        return FidelityScenario(
            id: try root.optionalString("id") ?? "fidelity-\(survey.id)", reference: reference, sampling: sampling,
            sample: sample, seed: UInt64(bitPattern: Int64(seedValue)), conditionOn: conditionOn, persona: rendering,
            quotaJoint: quotaJoint, instructions: try root.optionalString("instructions") ?? defaultInstructions,
            resamples: try root.optionalInt("resamples", range: 0...100_000) ?? 1000,
            temperature: try root.optionalDouble("temperature"), model: try root.optionalString("model"),
            document: document, file: file, survey: survey)
    }

    /// The survey rows a run asks, in file order: all, or a seeded sample without replacement;
    /// respondents missing a conditioning answer are left out and counted.
    public func respondents() -> (rows: [Int], skipped: Int) {
        let conditioning = conditionOn.compactMap { survey.questionIndex($0) }
        let q = survey.questions.count
        let eligible = (0..<survey.count).filter { r in conditioning.allSatisfy { survey.answers[r * q + $0] >= 0 } }
        let skipped = survey.count - eligible.count
        guard let sample, sample < eligible.count else { return (eligible, skipped) }
        var order = eligible
        var stream = RandomStream(seed: seed).substream("fidelity/sample")
        stream.shuffle(&order)
        return (Array(order.prefix(sample)).sorted(), skipped)
    }

    /// The persona block of respondent `r`: its attributes (labels where given) and conditioning answers.
    public func personaLines(_ r: Int) -> [(name: String, value: String)] {
        var lines: [(String, String)] = []
        for (a, attribute) in survey.attributes.enumerated() {
            guard let code = survey.attributeCodes[r][a] else { continue }
            lines.append((attribute.name, attribute.text(code)))
        }
        let q = survey.questions.count
        for id in conditionOn {
            guard let j = survey.questionIndex(id) else { continue }
            let position = Int(survey.answers[r * q + j])
            if position >= 0 {
                lines.append((id.replacingOccurrences(of: "_", with: " "), survey.questions[j].labels[position]))
            }
        }
        return lines
    }
}
