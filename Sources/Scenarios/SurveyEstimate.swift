import Dispatch
import Foundation
public import Inference
public import Population
import Runs
public import Storage
import Synchronization

/// What a survey run will cost, worked out from the prompts Agora would send, without calling a
/// model (`agora run SCENARIO --estimate`, docs/scenarios.md "Estimating a run").
///
/// Calls are exact for surveys whose flow depends only on persona attributes and stimuli; an item
/// whose `showIf`/`skipIf`/`stopIf`/branch reads earlier answers is counted as asked (an upper
/// bound) and listed in ``conditionalItems``. Repair rounds are not counted (at most one more
/// call per item). Prompt tokens use the same count as Agora's stub server: 3 per message plus
/// one per 4 UTF-8 bytes; completion tokens are bounded by each item's token budget.
public struct SurveyEstimate: Sendable {
    /// How time and money are worked out.
    public struct Settings: Sendable {
        /// The model identifier (cache keys, the price table).
        public var model: String
        /// The units in flight at once.
        public var concurrency: Int
        /// Prices per million tokens (model identifier, or the model name after `#`).
        public var prices: PriceTable
        /// Prompt tokens processed per second by one request (prefill).
        public var promptTokensPerSecond: Double
        /// Completion tokens written per second by one request.
        public var completionTokensPerSecond: Double
        /// Fixed seconds per request (connection, queueing, first token).
        public var secondsPerCall: Double

        /// Settings for `model`: the local model's measured speeds, else a typical remote API's.
        public init(model: String, concurrency: Int, prices: PriceTable = SurveyEstimate.defaultPrices) {
            self.model = model
            self.concurrency = max(1, concurrency)
            self.prices = prices
            let local = model == LocalModel.identifier
            promptTokensPerSecond = local ? 600 : 5000
            completionTokensPerSecond = local ? 40 : 80
            secondsPerCall = local ? 0.05 : 0.4
        }
    }

    /// Respondents (units).
    public var units = 0
    /// Model calls (one per item asked).
    public var calls = 0
    /// Prompt tokens over all calls.
    public var promptTokens = 0
    /// The most completion tokens the calls can write.
    public var completionTokensMax = 0
    /// Calls whose exact request is already in the response cache (`nil`: no cache given).
    public var cacheHits: Int?
    /// Calls whose request depends on earlier answers (memory, answer piping), so the cache cannot
    /// be checked before the run.
    public var uncheckableCalls = 0
    /// Cost of the calls not already cached, in the price table's currency (`nil`: no price).
    public var cost: Double?
    /// Wall-clock seconds at the configured concurrency (calls not cached; completion at its bound).
    public var wallSeconds = 0.0
    /// Items whose asking depends on earlier answers (counted as asked).
    public var conditionalItems: [String] = []
    /// The model identifier.
    public var model = ""
    /// The concurrency.
    public var concurrency = 1

    /// The list prices (``PriceTable/listPrices``); override with `--prices FILE`.
    public static let defaultPrices = PriceTable.listPrices

    /// The UTF-8 size of each persona's prompt block, worked out on every core (in persona order).
    static func promptTextBytes(_ personas: [Persona]) -> [Int] {
        let chunkCount = personas.count < 2_000 ? 1 : min(64, ProcessInfo.processInfo.activeProcessorCount * 4)
        let chunkSize = (personas.count + chunkCount - 1) / chunkCount
        let sizes = Mutex([[Int]](repeating: [], count: chunkCount))
        DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
            let range = min(personas.count, chunk * chunkSize)..<min(personas.count, (chunk + 1) * chunkSize)
            let part = personas[range].map { $0.promptText.utf8.count }
            sizes.withLock { $0[chunk] = part }
        }
        return sizes.withLock { $0.flatMap { $0 } }
    }

    /// Tokens of one message as counted here (3 + ⌈bytes / 4⌉).
    static func tokens(bytes: Int) -> Int { 3 + (bytes == 0 ? 0 : max(1, (bytes + 3) / 4)) }

    /// Estimates `scenario` (a survey) over `personas` (the respondents, in population order).
    ///
    /// - Parameter cache: checked for requests fully known before the run (no memory of earlier
    ///   answers, no answer piping); `nil` skips the check.
    public static func estimate(
        _ scenario: Scenario, personas: [Persona], seed: UInt64? = nil, settings: Settings,
        cache: ResponseCache? = nil
    ) async throws -> SurveyEstimate {
        guard let survey = scenario.survey else {
            throw RunError(
                .invalidInput, "--estimate works out survey runs; \(scenario.kind.rawValue) runs are not estimated yet",
                file: scenario.file)
        }
        let seed = seed ?? scenario.seed
        var estimate = SurveyEstimate()
        estimate.model = settings.model
        estimate.concurrency = settings.concurrency
        estimate.units = personas.count
        if cache != nil { estimate.cacheHits = 0 }
        let mode = StructuredOutputSupport.mode(for: settings.model)
        let within = survey.stimuli?.design == .within
        let stimuli = survey.stimuli.map {
            SurveyStimuliPlan.assign($0, respondents: personas.map(\.id), seed: seed)
        }

        // What does not depend on the respondent is measured once per item.
        struct ItemCost {
            var decidedFlow: Bool
            var templated: Bool
            var readsAnswers: Bool
            var schemaBytes: Int
            var questionBytes: Int
            var completion: Int
            var answerBytes: Int
            /// Parsed templates of the question and of each option or matrix row (`nil`: plain text).
            var question: SurveyTemplate?
            var parts: [(text: String, template: SurveyTemplate?)]
        }
        func parsed(_ text: String) -> SurveyTemplate? {
            text.contains("{{") ? try? SurveyTemplate(text) : nil
        }
        func readsAnswers(_ references: [SurveyReference]) -> Bool { references.contains { $0.source == .answers } }
        func templateRefs(_ item: SurveyItem) -> [SurveyReference] {
            var texts = [item.question] + item.options
            if case .matrix(let rows, _, _, _) = item.answer { texts += rows.map(\.text) }
            return texts.filter { $0.contains("{{") }.flatMap { (try? SurveyTemplate($0))?.references ?? [] }
        }
        var costs: [ItemCost] = []
        for item in survey.items {
            let flow =
                (item.showIf?.references ?? []) + (item.skipIf?.references ?? []) + (item.stopIf?.references ?? [])
                + item.branch.flatMap(\.condition.references)
            let refs = templateRefs(item)
            let schema = item.schema(shown: item.options)
            let instruction =
                mode == .jsonSchema
                ? 0
                : ("\n\nAnswer with only a JSON value that matches this JSON Schema, and nothing else:\n"
                    + schema.serialized()).utf8.count
            let shown = item.options
            let prompt: String
            if case .matrix(let rows, _, _, _) = item.answer {
                prompt = item.prompt(shown: rows.map(\.text))
            } else {
                prompt = item.prompt(shown: shown)
            }
            let typical = JSONValue.object(JSONObject([("answer", item.typicalAnswer)])).serialized()
            costs.append(
                ItemCost(
                    decidedFlow: !flow.isEmpty && !readsAnswers(flow), templated: !refs.isEmpty,
                    readsAnswers: readsAnswers(refs), schemaBytes: instruction, questionBytes: prompt.utf8.count,
                    completion: item.answerTokens(scenario.generation.maxTokens),
                    answerBytes: typical.utf8.count, question: parsed(item.question),
                    parts: item.parts.map { ($0, parsed($0)) }))
            if readsAnswers(flow) { estimate.conditionalItems.append(item.id) }
        }
        let contextTemplate = survey.context.flatMap(parsed)
        let contextTemplated = contextTemplate != nil
        let contextReadsAnswers =
            contextTemplated && readsAnswers((try? SurveyTemplate(survey.context ?? ""))?.references ?? [])
        let fixedPrefixBytes = survey.context.map { "Please read this first:\n\($0)\n\n".utf8.count } ?? 0

        var seconds = 0.0
        var promptCost = 0.0
        var completionCost = 0.0
        let price = settings.prices.price(of: settings.model)
        let items = survey.items
        let count = items.count
        // Per item, as plain arrays: the loop below runs once per respondent and item.
        let decided = costs.map(\.decidedFlow)
        let templated = costs.map(\.templated)
        let baseBytes = costs.map { $0.questionBytes }
        let completion = costs.map(\.completion)
        let answerBytes = costs.map(\.answerBytes)
        let schemaBytes = costs.map(\.schemaBytes)
        let knowableItem = costs.map { !$0.readsAnswers && !contextReadsAnswers }
        var targets: [[Int]] = Array(repeating: [], count: count)
        if case .targeted(let table) = survey.memory {
            for (index, item) in items.enumerated() {
                targets[index] = (table[item.id] ?? []).compactMap { survey.index(of: $0) }
            }
        }
        let instructionsBytes = "You are taking part in a survey. ".utf8.count + survey.instructions.utf8.count
        // Texts whose templates read only stimulus variables are measured once per stimulus.
        let stimulusRows = survey.stimuli?.rows ?? []
        var rowIndex: [String: Int] = [:]
        for (index, row) in stimulusRows.enumerated() { rowIndex[row.id] = index }
        func varsOnly(_ template: SurveyTemplate?) -> Bool {
            template?.references.allSatisfy { $0.source == .vars } ?? true
        }
        func prefix(_ context: String?) -> Int {
            context.map { "Please read this first:\n\($0)\n\n".utf8.count } ?? 0
        }
        func delta(_ index: Int, _ scope: SurveyScope) -> Int {
            let cost = costs[index]
            var bytes = 0
            if let template = cost.question {
                bytes += template.render(scope).utf8.count - items[index].question.utf8.count
            }
            for part in cost.parts {
                if let template = part.template { bytes += template.render(scope).utf8.count - part.text.utf8.count }
            }
            return bytes
        }
        let contextByRow: [Int]? =
            contextTemplated && varsOnly(contextTemplate)
            ? stimulusRows.map { row in prefix(contextTemplate?.render(SurveyScope(vars: row.vars))) } : nil
        let deltaByRow: [[Int]?] = costs.indices.map { index in
            let cost = costs[index]
            guard cost.templated, varsOnly(cost.question), cost.parts.allSatisfy({ varsOnly($0.template) }),
                !stimulusRows.isEmpty
            else { return nil }
            return stimulusRows.map { delta(index, SurveyScope(vars: $0.vars)) }
        }
        let blocks = Self.promptTextBytes(personas)
        for (position, persona) in personas.enumerated() {
            // The system message's size without building it: "You are NAME.", the persona block,
            // the instructions, joined by blank lines (as SurveyRespondent.systemPrompt does).
            let block = blocks[position]
            let systemBytes =
                "You are .".utf8.count + persona.displayName.utf8.count + (block > 0 ? block + 2 : 0) + 2
                + instructionsBytes
            let rounds: [Int?] = stimuli.map { $0[position].compactMap { rowIndex[$0] } } ?? [nil]
            // Memory: the items asked so far (index, round, question bytes).
            var historyItem: [Int] = []
            var historyRound: [Int] = []
            var historyBytes: [Int] = []
            var stopped = false
            for (roundIndex, row) in rounds.enumerated() {
                let stimulus = row.map { stimulusRows[$0] }
                let scope = SurveyScope(persona: persona, vars: stimulus?.vars ?? JSONObject())
                let prefixBytes: Int
                if !contextTemplated {
                    prefixBytes = fixedPrefixBytes
                } else if let contextByRow, let row {
                    prefixBytes = contextByRow[row]
                } else {
                    prefixBytes = prefix(contextTemplate?.render(scope))
                }
                var index = 0
                while index < count, !stopped {
                    if decided[index] {
                        let item = items[index]
                        if let showIf = item.showIf, !showIf.holds(in: scope) {
                            index += 1
                            continue
                        }
                        if let skipIf = item.skipIf, skipIf.holds(in: scope) {
                            index += 1
                            continue
                        }
                    }
                    // The question, options and rows appear once each in the prompt, in any order:
                    // a filled-in template changes the prompt's size by its own change in size.
                    var questionBytes = baseBytes[index]
                    if templated[index] {
                        if let byRow = deltaByRow[index], let row {
                            questionBytes += byRow[row]
                        } else {
                            questionBytes += delta(index, scope)
                        }
                    }
                    // The remembered items: the question (the context on the first) and the answer.
                    var picked: [Int] = []
                    switch survey.memory {
                    case .none: break
                    case .full: picked = Array(historyItem.indices)
                    case .lagged(let k): picked = Array(max(0, historyItem.count - k)..<historyItem.count)
                    case .targeted:
                        picked = historyItem.indices.filter {
                            historyRound[$0] == roundIndex && targets[index].contains(historyItem[$0])
                        }
                    }
                    var tokens = Self.tokens(bytes: systemBytes + schemaBytes[index])
                    if picked.isEmpty {
                        tokens += Self.tokens(bytes: prefixBytes + questionBytes)
                    } else {
                        for (offset, entry) in picked.enumerated() {
                            tokens += Self.tokens(bytes: (offset == 0 ? prefixBytes : 0) + historyBytes[entry])
                            tokens += Self.tokens(bytes: answerBytes[historyItem[entry]])
                        }
                        tokens += Self.tokens(bytes: questionBytes)
                    }
                    estimate.calls += 1
                    estimate.promptTokens += tokens
                    estimate.completionTokensMax += completion[index]
                    if survey.memory != .none {
                        historyItem.append(index)
                        historyRound.append(roundIndex)
                        historyBytes.append(questionBytes)
                    }
                    var cached = false
                    if let cache {
                        if picked.isEmpty && knowableItem[index] {
                            let item = items[index]
                            let context = contextTemplate.map { $0.render(scope) } ?? survey.context
                            let key = cacheKey(
                                item, scenario: scenario, persona: persona, seed: seed, scope: scope,
                                context: context, round: within ? "@\(stimulus?.id ?? "")" : "", mode: mode,
                                model: settings.model)
                            if try await cache.lookup(key) != nil {
                                cached = true
                                estimate.cacheHits = (estimate.cacheHits ?? 0) + 1
                            }
                        } else {
                            estimate.uncheckableCalls += 1
                        }
                    }
                    if !cached {
                        seconds +=
                            settings.secondsPerCall + Double(tokens) / settings.promptTokensPerSecond
                            + Double(completion[index]) / settings.completionTokensPerSecond
                        if let price {
                            promptCost += Double(tokens) * price.prompt / 1e6
                            completionCost += Double(completion[index]) * price.completion / 1e6
                        }
                    }
                    // Flow decided by persona attributes and stimuli: stops and jumps are known now.
                    if decided[index] {
                        let item = items[index]
                        if let stopIf = item.stopIf, stopIf.holds(in: scope) { stopped = true }
                        if let jump = item.branch.first(where: { $0.condition.holds(in: scope) }),
                            let target = survey.index(of: jump.target)
                        {
                            index = target
                            continue
                        }
                    }
                    index += 1
                }
            }
        }
        estimate.cost = price.map { _ in promptCost + completionCost }
        estimate.wallSeconds = seconds / Double(settings.concurrency)
        return estimate
    }

    /// The response-cache key of an item's request as a run would send it first.
    static func cacheKey(
        _ item: SurveyItem, scenario: Scenario, persona: Persona, seed: UInt64, scope: SurveyScope, context: String?,
        round: String, mode: StructuredOutputMode, model: String
    ) -> String {
        guard let survey = scenario.survey else { return "" }
        let respondent = SurveyRespondent(scenario: scenario, survey: survey, persona: persona, seed: seed)
        let shown = respondent.shownOptions(item, round: round).map { SurveyTemplate.render($0, scope) }
        let rendered = SurveyTemplate.render(item.question, scope)
        let question: String
        if case .matrix(let rows, _, _, _) = item.answer {
            question = item.prompt(shown: rows.map { SurveyTemplate.render($0.text, scope) }, question: rendered)
        } else {
            question = item.prompt(shown: shown, question: rendered)
        }
        let system = SurveyRespondent.systemPrompt(persona: persona, instructions: survey.instructions)
        let request = ChatRequest(
            messages: SurveyRespondent.messages(
                system: system, context: context, remembered: [], question: question, persona: persona),
            temperature: scenario.generation.temperature,
            maxTokens: item.answerTokens(scenario.generation.maxTokens))
        let prepared = StructuredGenerator.prepare(
            request, schema: item.schema(shown: shown), name: "survey_answer", mode: mode)
        return ResponseCache.key(for: prepared, model: model)
    }

    /// The estimate as printed by `agora run --estimate`.
    public var lines: [String] {
        func money(_ x: Double?) -> String {
            x.map { String(format: "%.4f", $0) } ?? "unknown (no price for this model; see --prices)"
        }
        var lines = [
            "model: \(model)",
            "units: \(units)",
            "model calls: \(calls) (one per item asked; a repair round adds at most one per item)",
            "prompt tokens: \(promptTokens)",
            "completion tokens: at most \(completionTokensMax)",
            "cache hits already available: "
                + (cacheHits.map { "\($0) of \(calls - uncheckableCalls) checkable calls" } ?? "not checked (no cache)"),
            "cost: \(money(cost))",
            String(format: "wall time: about %.0f s at concurrency %d", wallSeconds, concurrency),
        ]
        if !conditionalItems.isEmpty {
            lines.append(
                "counted as asked (their flow reads earlier answers): \(conditionalItems.joined(separator: ", "))")
        }
        return lines
    }

    /// The estimate as JSON.
    public var json: JSONValue {
        [
            "model": .string(model), "units": .integer(Int64(units)), "calls": .integer(Int64(calls)),
            "promptTokens": .integer(Int64(promptTokens)), "completionTokensMax": .integer(Int64(completionTokensMax)),
            "cacheHits": cacheHits.map { .integer(Int64($0)) } ?? .null,
            "uncheckableCalls": .integer(Int64(uncheckableCalls)), "cost": cost.map { .number($0) } ?? .null,
            "wallSeconds": .number(Statistics.round6(wallSeconds)), "concurrency": .integer(Int64(concurrency)),
            "conditionalItems": .array(conditionalItems.map { .string($0) }),
        ]
    }
}

extension SurveyItem {
    /// A representative answer (for the size of remembered answers in estimates).
    var typicalAnswer: JSONValue {
        switch answer {
        case .likert(_, let high, _), .linearScale(_, let high, _, _): .integer(Int64(high))
        case .singleChoice(let options): .string(options.max { $0.utf8.count < $1.utf8.count } ?? "")
        case .yesNo: "Yes"
        case .multipleChoice(let options, let low, _): .array(options.prefix(max(1, low)).map { .string($0) })
        case .numeric(_, let high, _, _): .number(high ?? 100)
        case .open(let maxLength): .string(String(repeating: "x", count: min(maxLength / 2, 160)))
        case .rank(let options): .array(options.map { .string($0) })
        case .topK(let options, let k): .array(options.prefix(k).map { .string($0) })
        case .matrix(let rows, _, let high, _):
            .object(JSONObject(rows.map { ($0.id, .integer(Int64(high))) }))
        case .constantSum(let options, let total):
            .object(JSONObject(options.map { ($0, .integer(Int64(total / max(1, options.count)))) }))
        case .checkbox(let options, _, _, _): ["selected": .array(options.prefix(1).map { .string($0) })]
        case .freeList(let maxItems, let maxLength):
            .array((0..<max(1, maxItems / 2)).map { _ in .string(String(repeating: "x", count: min(maxLength, 12))) })
        }
    }
}

extension SurveyEstimate {
    /// Loads the scenario file, resolves its population (the first `limit` respondents) and
    /// estimates the run (what `agora run SCENARIO --estimate` prints).
    public static func estimate(
        file: String, limit: Int? = nil, seed: UInt64? = nil, settings: Settings, cache: ResponseCache? = nil,
        populationGenerator: PopulationGenerator? = PersonaFactory.generator
    ) async throws -> SurveyEstimate {
        let scenario = try Scenario.load(file: file)
        var personas = try await ScenarioRunner.resolvePopulation(scenario, generator: populationGenerator)
        try ScenarioRunKind.checkSplits(scenario, personas: personas)
        try ScenarioRunKind.checkPersonaReferences(scenario, personas: personas)
        if let limit { personas = Array(personas.prefix(limit)) }
        return try await estimate(scenario, personas: personas, seed: seed, settings: settings, cache: cache)
    }
}
