import Foundation
public import Inference
import Storage

/// One problem with a narrative, in HACHIMI's issue shape: `{code, desc, attributeIds, hint}`.
public struct NarrativeIssue: Sendable, Hashable {
    /// A short code, e.g. `contradiction`.
    public var code: String
    /// What is wrong.
    public var desc: String
    /// The attribute ids concerned.
    public var attributeIDs: [String]
    /// How to fix it.
    public var hint: String
}

/// Writes each persona's narrative with a language model (spec §9.6 step 7): structured output, a deterministic
/// contradiction check on quota and enum attributes, an optional model validator whose issues drive up to two
/// revision rounds, and narrative-only regeneration on text duplicates. Concurrent (a bounded task group),
/// resumable (an interrupted run continues after the last complete line), and the file stays in slot order.
public struct NarrativeWriter: Sendable {
    /// The model that writes (wrap it in `CachedModel` for caching).
    public let model: any LanguageModel
    /// An embedding model for near-duplicate narratives, if any.
    public let embedding: (any EmbeddingModel)?
    /// Settings that override the spec's `narrative` block, if given.
    public let settings: NarrativeSettings?

    /// Creates a writer.
    public init(model: any LanguageModel, embedding: (any EmbeddingModel)? = nil, settings: NarrativeSettings? = nil) {
        self.model = model
        self.embedding = embedding
        self.settings = settings
    }

    struct Outcome: Sendable {
        var narrative: String?
        var error: String?
        var texts: [(String, String)]
        var warnings: [String]
        /// The endpoint could not be used (unreachable, 401, retries exhausted, replay miss): not
        /// this persona's failure; the whole generation stops and can be resumed.
        var unusable: InferenceError? = nil
    }

    func generate(
        spec: PopulationSpec, count: Int, seed: UInt64, out: String, workers: Int,
        progress: (@Sendable (Int) -> Void)?
    ) async throws(PopulationError) -> GenerationSummary {
        let settings = self.settings ?? spec.narrative
        var (personas, summary) = try await PersonaFactory.personas(
            spec: spec, count: count, seed: seed, workers: workers)
        // Resume: keep the complete, matching lines already written.
        var done: [Persona] = []
        if FileManager.default.fileExists(atPath: out), let text = try? String(contentsOfFile: out, encoding: .utf8) {
            for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
                guard let persona = try? Persona(jsonLine: String(line)) else { break }
                guard done.count < personas.count, persona.slot == done.count, persona.hash == personas[done.count].hash
                else {
                    throw PopulationError(
                        .invalidPersona,
                        "the existing file was made from another spec, count or seed (slot \(done.count) differs); "
                            + "delete it or choose another --out", file: out, path: "line \(done.count + 1)")
                }
                guard persona.narrative != nil || persona.narrativeError != nil else { break }
                done.append(persona)
            }
        }
        var text = ""
        for persona in done { text += persona.jsonLine + "\n" }
        do {
            try text.write(toFile: out, atomically: true, encoding: .utf8)
        } catch {
            throw PopulationError(.io, "cannot write the output file", file: out, underlying: error)
        }
        guard let handle = FileHandle(forWritingAtPath: out) else {
            throw PopulationError(.io, "cannot open the output file for appending", file: out)
        }
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        var textDedup = TextDeduplicator(settings: spec.dedup, seed: seed ^ 0x7E47)
        var embeddingDedup = EmbeddingIndex(threshold: spec.dedup.embeddingThreshold)
        for persona in done {
            if let narrative = persona.narrative {
                textDedup.accept(narrative)
                if let embedding, let vector = try? await embedding.embed([narrative]).first {
                    embeddingDedup.accept(vector)
                }
            }
        }
        var written = done.filter { $0.narrative != nil }.count
        var failed = done.filter { $0.narrativeError != nil }.count
        let start = done.count
        let width = max(1, settings.concurrency)
        let taxonomy = spec.taxonomy
        let model = self.model
        let snapshot = personas
        let interrupted = PopulationError(.io, "narrative generation was interrupted; run again to resume")
        // Narratives are written `width` at a time; each is committed (dedup, revision, file line) in slot order.
        try await TaskWindow.ordered(count: count - start, width: width) { index throws(PopulationError) in
            await NarrativeWriter.write(
                snapshot[start + index], taxonomy: taxonomy, model: model, settings: settings, variant: 0)
        } receive: { index, outcome throws(PopulationError) in
            if Task.isCancelled { throw interrupted }
            if let unusable = outcome.unusable {
                throw PopulationError(
                    .narrative,
                    "the model endpoint is unusable (\(unusable.message)); the narratives written so far are kept: run the same command again to continue",
                    file: out, underlying: unusable)
            }
            let slot = start + index
            var ready = outcome
            // Text near-duplicates regenerate the narrative only (the attributes and quotas are kept).
            var variant = 0
            while let narrative = ready.narrative {
                var duplicate = textDedup.duplicate(of: narrative) != nil
                var vector: [Double]?
                if !duplicate, let embedding {
                    vector = try? await embedding.embed([narrative]).first
                    if let vector, embeddingDedup.duplicate(of: vector) != nil { duplicate = true }
                }
                if !duplicate {
                    textDedup.accept(narrative)
                    if let vector { embeddingDedup.accept(vector) }
                    break
                }
                variant += 1
                if variant > 2 {
                    ready.narrative = nil
                    ready.error = "duplicate: the narrative stayed a near-duplicate of an earlier one after 2 rewrites"
                    break
                }
                ready = await NarrativeWriter.write(
                    snapshot[slot], taxonomy: taxonomy, model: model, settings: settings, variant: variant)
            }
            var persona = snapshot[slot]
            persona.narrative = ready.narrative
            persona.narrativeError = ready.error
            persona.warnings += ready.warnings
            for (id, value) in ready.texts { persona.attributes[id] = .string(value) }
            if ready.narrative != nil { written += 1 } else { failed += 1 }
            personas[slot] = persona
            handle.write(Data((persona.jsonLine + "\n").utf8))
            progress?(slot + 1)
        }
        if Task.isCancelled { throw interrupted }
        summary.narratives = (written, failed)
        summary.warnings = spec.warnings + summary.warnings
        return summary
    }

    static func schema(_ taxonomy: Taxonomy, settings: NarrativeSettings) -> JSONValue {
        var properties = JSONObject()
        properties["narrative"] = .object(
            JSONObject([("type", "string"), ("minLength", 40), ("maxLength", .integer(Int64(settings.maxChars)))]))
        var required: [JSONValue] = ["narrative"]
        for attribute in taxonomy.attributes where attribute.kind == .text {
            properties[attribute.id] = .object(
                JSONObject([("type", "string"), ("maxLength", .integer(Int64(attribute.maxChars ?? 300)))]))
            required.append(.string(attribute.id))
        }
        return .object(
            JSONObject([
                ("type", "object"), ("properties", .object(properties)), ("required", .array(required)),
                ("additionalProperties", false),
            ]))
    }

    /// The attributes as readable `label: value` lines.
    static func describe(_ persona: Persona, taxonomy: Taxonomy) -> String {
        var lines: [String] = []
        for (key, value) in persona.attributes {
            guard let attribute = taxonomy[key], attribute.kind != .text else { continue }
            let shown: String
            switch value {
            case .string(let id): shown = attribute.options.first { $0.id == id }?.label ?? id
            case .array(let items):
                shown = items.compactMap(\.stringValue).map { id in attribute.options.first { $0.id == id }?.label ?? id
                }
                .joined(separator: ", ")
            case .bool(let flag): shown = flag ? "yes" : "no"
            default: shown = value.serialized()
            }
            lines.append("- \(attribute.label): \(shown)")
        }
        return lines.joined(separator: "\n")
    }

    /// Writes, checks and revises one narrative; never throws (a failure is recorded in the outcome).
    static func write(
        _ persona: Persona, taxonomy: Taxonomy, model: any LanguageModel, settings: NarrativeSettings, variant: Int
    ) async -> Outcome {
        let generator = StructuredGenerator(model: model)
        let schema = schema(taxonomy, settings: settings)
        let facts = describe(persona, taxonomy: taxonomy)
        var instructions =
            "Write a realistic third-person narrative (at most \(settings.maxChars) characters) about this person. "
            + "Use every fact below and never contradict one (age, sex, education, work and the other values). "
            + "Return JSON with the key \"narrative\""
        let textIDs = taxonomy.attributes.filter { $0.kind == .text }
        if !textIDs.isEmpty {
            instructions += " and " + textIDs.map { "\"\($0.id)\" (\($0.label), a short text)" }.joined(separator: ", ")
        }
        instructions += "."
        if let extra = settings.instructions { instructions += " " + extra }
        if variant > 0 { instructions += " Make it clearly different from a typical profile (version \(variant + 1))." }
        var messages: [ChatMessage] = [
            .system("You write short, concrete persona narratives for social-science simulations."),
            .user("Facts about the person:\n\(facts)\n\n\(instructions)"),
        ]
        var last: String?
        var issues: [NarrativeIssue] = []
        var warnings: [String] = []
        for round in 0...settings.reviseRounds {
            let request = ChatRequest(
                messages: messages, temperature: settings.temperature, maxTokens: settings.maxTokens,
                sampleIndex: variant * 10 + round)
            let result: StructuredResult
            do {
                result = try await generator.generate(request, schema: schema, name: "persona_narrative")
            } catch {
                let unusable = error.stopsRun ? error : nil
                return Outcome(
                    narrative: nil, error: "model: \(error.message)", texts: [], warnings: [], unusable: unusable)
            }
            let narrative =
                result.value["narrative"]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            var texts: [(String, String)] = []
            for attribute in textIDs {
                if let text = result.value[attribute.id]?.stringValue { texts.append((attribute.id, text)) }
            }
            last = narrative
            issues = contradictions(narrative, persona: persona, taxonomy: taxonomy)
            if narrative.isEmpty {
                issues.append(
                    NarrativeIssue(
                        code: "empty", desc: "the narrative is empty", attributeIDs: [], hint: "write the narrative"))
            }
            var validatorIssues: [NarrativeIssue] = []
            if issues.isEmpty && settings.validator {
                validatorIssues = await validate(narrative, facts: facts, generator: generator, settings: settings)
            }
            if issues.isEmpty && validatorIssues.isEmpty {
                return Outcome(narrative: narrative, error: nil, texts: texts, warnings: warnings)
            }
            if round == settings.reviseRounds {
                if issues.isEmpty {
                    // Only the model validator objects: keep the narrative, record its issues as warnings.
                    warnings = validatorIssues.map { "narrative:\($0.code)" }
                    return Outcome(narrative: narrative, error: nil, texts: texts, warnings: warnings)
                }
                break
            }
            let all = issues + validatorIssues
            messages.append(.assistant(result.raw))
            messages.append(
                .user(
                    "Revise the narrative. Problems:\n"
                        + all.map { "- [\($0.code)] \($0.desc) (fix: \($0.hint))" }.joined(separator: "\n")
                        + "\nReturn the same JSON shape."))
        }
        let problem = issues.map(\.desc).joined(separator: "; ")
        return Outcome(
            narrative: nil,
            error:
                "contradiction after \(settings.reviseRounds) revisions: \(problem) (last text: \(String((last ?? "").prefix(120))))",
            texts: [], warnings: [])
    }

    /// The model validator: issues in HACHIMI's shape; an unparsable answer counts as a failed validation.
    static func validate(
        _ narrative: String, facts: String, generator: StructuredGenerator, settings: NarrativeSettings
    ) async -> [NarrativeIssue] {
        let issue: JSONValue = .object(
            JSONObject([
                ("type", "object"),
                (
                    "properties",
                    .object(
                        JSONObject([
                            ("code", .object(JSONObject([("type", "string")]))),
                            ("desc", .object(JSONObject([("type", "string")]))),
                            (
                                "attributeIds",
                                .object(
                                    JSONObject([
                                        ("type", "array"), ("items", .object(JSONObject([("type", "string")]))),
                                    ]))
                            ),
                            ("hint", .object(JSONObject([("type", "string")]))),
                        ]))
                ),
                ("required", ["code", "desc"]),
            ]))
        let schema: JSONValue = .object(
            JSONObject([
                ("type", "object"),
                (
                    "properties",
                    .object(JSONObject([("issues", .object(JSONObject([("type", "array"), ("items", issue)])))]))
                ),
                ("required", ["issues"]),
            ]))
        let request = ChatRequest(
            messages: [
                .system("You check persona narratives for contradictions with their facts and for tone problems."),
                .user(
                    "Facts:\n\(facts)\n\nNarrative:\n\(narrative)\n\nList real problems only (contradicted facts, "
                        + "inconsistent tone). Return {\"issues\": []} when there are none."),
            ], temperature: 0, maxTokens: 200)
        do {
            let result = try await generator.generate(request, schema: schema, name: "narrative_issues")
            return (result.value["issues"]?.arrayValue ?? []).map { item in
                NarrativeIssue(
                    code: item["code"]?.stringValue ?? "issue", desc: item["desc"]?.stringValue ?? "",
                    attributeIDs: item["attributeIds"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                    hint: item["hint"]?.stringValue ?? "")
            }
        } catch {
            return [
                NarrativeIssue(
                    code: "validator_unparsable", desc: "the validator's answer did not parse", attributeIDs: [],
                    hint: "")
            ]
        }
    }

    /// Deterministic post-check: every enum/ordinal/bool attribute is not contradicted (another value of it is
    /// named while its own is not), and a stated age matches `…age` attributes within one year.
    public static func contradictions(_ narrative: String, persona: Persona, taxonomy: Taxonomy) -> [NarrativeIssue] {
        let words = PopulationMetrics.words(narrative)
        let text = " " + words.joined(separator: " ") + " "
        func mentions(_ phrase: String) -> Bool {
            let normalised = PopulationMetrics.words(phrase.replacingOccurrences(of: "_", with: " ")).joined(
                separator: " ")
            return !normalised.isEmpty && text.contains(" \(normalised) ")
        }
        var issues: [NarrativeIssue] = []
        for (key, value) in persona.attributes {
            guard let attribute = taxonomy[key] else { continue }
            if attribute.kind == .enumeration || attribute.kind == .ordinal, let id = value.stringValue {
                guard let own = attribute.options.first(where: { $0.id == id }) else { continue }
                if mentions(own.id) || mentions(own.label) { continue }
                let others = attribute.options.filter { $0.id != id && (mentions($0.id) || mentions($0.label)) }
                    .filter { other in
                        // "male" inside "female" is not a mention; phrases of the own value that contain the other are fine.
                        !PopulationMetrics.words(own.label).joined(separator: " ").contains(
                            PopulationMetrics.words(other.label).joined(separator: " "))
                    }
                if let other = others.first {
                    issues.append(
                        NarrativeIssue(
                            code: "contradiction",
                            desc: "\(attribute.label) is \(own.label), but the text says \(other.label)",
                            attributeIDs: [key], hint: "describe \(attribute.label.lowercased()) as \(own.label)"))
                }
            } else if attribute.kind == .int, key.hasSuffix("age") || key.hasSuffix(".age"), let age = value.intValue {
                for (index, word) in words.enumerated() {
                    guard let number = Int(word), number > 0, number < 130 else { continue }
                    let after = words.dropFirst(index + 1).prefix(2).joined(separator: " ")
                    let before = index > 0 ? words[index - 1] : ""
                    if after.hasPrefix("year") || before == "aged" || before == "age" {
                        if abs(Int64(number) - age) > 1 {
                            issues.append(
                                NarrativeIssue(
                                    code: "contradiction", desc: "age is \(age), but the text says \(number)",
                                    attributeIDs: [key], hint: "state the age as \(age)"))
                        }
                    }
                }
            }
        }
        if let sex = persona.attributes["demo.sex"]?.stringValue ?? persona.attributes["student.gender"]?.stringValue {
            let female = [" she ", " her ", " woman ", " girl "].contains { text.contains($0) }
            let male = [" he ", " his ", " him ", " man ", " boy "].contains { text.contains($0) }
            if sex == "female" && male && !female || sex == "male" && female && !male {
                issues.append(
                    NarrativeIssue(
                        code: "contradiction", desc: "sex is \(sex), but the pronouns say otherwise",
                        attributeIDs: ["sex"], hint: "use pronouns that match \(sex)"))
            }
        }
        return issues
    }
}
