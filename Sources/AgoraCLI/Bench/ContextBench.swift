import Agents
import AgoraTesting
import Foundation
import Inference
import Memory
import Runs
import Scenarios
import Storage
import Synchronization

/// `agora bench --only context`: prompt size, calls and prefix-cache eligibility of a long
/// conversation with the default (bounded) context.
///
/// A 3-person brainstorm (three rich, self-written personas of about 900 tokens each, the size of
/// TinyTroupe's example personas) runs for 300 round-robin rounds against the in-process
/// ``StubServer`` at 50 ms latency, with every default on: PersonaTree memory (MemListener every
/// 3 exchanges, in the background), the history window and the recall path. The stub answers each
/// turn with a varied 40-word line and each MemListener call with one new learned fact, so the
/// tree keeps growing past its budget.
///
/// Prompt tokens are counted from the recorded requests with one documented estimator, the same
/// for every run: `ceil(UTF-8 bytes / 4)` per message plus 4 tokens of chat framing (close to
/// cl100k for English). The prefix share is, summed over every request, the characters that are
/// an exact prefix of the same agent's previous request of the same purpose, over all characters.
enum ContextBench: BenchSuite {
    static let name = "context"

    static func run(quick: Bool) async throws -> [BenchFigure] {
        let environment = ProcessInfo.processInfo.environment
        let rounds = environment["AGORA_BENCH_ROUNDS"].flatMap(Int.init) ?? (quick ? 30 : 300)
        var figures = try await brainstorm(rounds: rounds, turnTaking: "round-robin")
        figures += try await brainstorm(rounds: quick ? 20 : 100, turnTaking: "simultaneous")
        return figures
    }

    /// One run; returns its figures.
    static func brainstorm(rounds: Int, turnTaking: String) async throws -> [BenchFigure] {
        let latency = ProcessInfo.processInfo.environment["AGORA_BENCH_LATENCY"].flatMap(Double.init) ?? 0.05
        let stub = try StubServer(configuration: .init(latency: latency, responder: reply(to:)))
        defer { stub.stop() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "agora-bench-context-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let client = OpenAICompatibleModel(
            endpoint: Endpoint(baseURL: stub.baseURL, model: "stub-model", limits: .init(maxInFlight: 8)))
        let model = CachedModel(base: client, cache: nil, mode: .off)
        let scenario = try Scenario.parse(document(rounds: rounds, turnTaking: turnTaking))
        let clock = ContinuousClock()
        let start = clock.now
        let summary = try await ScenarioRunner.run(
            scenario: scenario, model: model,
            options: RunOptions(outDirectory: folder.appendingPathComponent("runs"), concurrency: 1),
            monitor: RunMonitor())
        let seconds = BenchClock.seconds(clock.now - start)
        guard summary.unitsDone == 1 else {
            throw RunError(.world, "the context benchmark's brainstorm did not finish (\(summary.unitsFailed) failed)")
        }
        let requests = stub.requests
        if let dump = ProcessInfo.processInfo.environment["AGORA_BENCH_DUMP"] {
            // Every request body, one per line, to read what the prompts look like.
            let lines = requests.map { String(decoding: $0.body, as: UTF8.self) }.joined(separator: "\n")
            try Data((lines + "\n").utf8).write(to: URL(fileURLWithPath: dump + "-" + turnTaking + ".jsonl"))
        }
        let stats = RequestStats(requests)
        let label = turnTaking == "simultaneous" ? "simultaneous" : "round-robin"
        if turnTaking == "simultaneous" {
            let round = seconds / Double(rounds)
            return [
                BenchFigure(
                    name: "\(label): wall per round at 50 ms", value: round, unit: "s", target: "≤ 0.07 s",
                    met: round <= 0.07),
                BenchFigure(name: "\(label): calls per agent turn", value: stats.callsPerTurn, unit: "calls"),
            ]
        }
        var figures: [BenchFigure] = []
        for turn in [1, 10, 100, 300] where turn <= rounds {
            let tokens = stats.actionTokens(atTurn: turn)
            let target = turn == 1 ? 2_000.0 : 3_000.0
            figures.append(
                BenchFigure(
                    name: "\(label): prompt tokens, turn \(turn)", value: tokens, unit: "tokens",
                    target: turn >= 100 || turn == 1 ? "≤ \(Int(target))" : nil,
                    met: turn >= 100 || turn == 1 ? tokens <= target : nil))
        }
        figures.append(
            BenchFigure(
                name: "\(label): calls per agent turn", value: stats.callsPerTurn, unit: "calls",
                target: "≤ 1.4", met: stats.callsPerTurn <= 1.4))
        for (purpose, count) in stats.callsByPurpose {
            let part = stats.byPurpose[purpose] ?? (0, 0, 0)
            figures.append(
                BenchFigure(
                    name: "  \(purpose)", value: Double(count) / Double(max(stats.turns, 1)),
                    unit: String(
                        format: "calls/turn, %.0f tokens/call, prefix share %.3f", Double(part.tokens) / Double(count),
                        Double(part.prefix) / Double(max(part.total, 1)))))
        }
        figures.append(
            BenchFigure(
                name: "\(label): prompt tokens/turn, all calls, mean", value: stats.tokensPerTurn,
                unit: "tokens", target: "≤ 4000", met: stats.tokensPerTurn <= 4_000))
        figures.append(
            BenchFigure(
                name: "\(label): prefix-cache eligible share", value: stats.prefixShare,
                unit: "ratio", target: "≥ 0.80", met: stats.prefixShare >= 0.8))
        let round = seconds / Double(rounds)
        figures.append(
            BenchFigure(
                name: "\(label): wall per round at 50 ms", value: round, unit: "s", target: "≤ 0.17 s",
                met: round <= 0.17))
        return figures
    }

    /// The brainstorm scenario: the three personas, one phase of `rounds` × 3 turns, defaults otherwise.
    static func document(rounds: Int, turnTaking: String) throws -> JSONValue {
        let personas = JSONValue.array(try benchPersonas.map { try JSONValue.parse($0) })
        // AGORA_BENCH_CONTEXT / AGORA_BENCH_MEMORY: the scenario's "context" / "memory" values, for
        // comparing settings with the same workload (docs/memory.md).
        let environment = ProcessInfo.processInfo.environment
        var extra = ""
        if let context = environment["AGORA_BENCH_CONTEXT"] { extra += "\"context\": \(context), " }
        if let memory = environment["AGORA_BENCH_MEMORY"] { extra += "\"memory\": \(memory), " }
        let text = """
            {
              "version": 1, "id": "context-bench", "kind": "brainstorm", "seed": 5, \(extra)
              "population": {"inline": \(personas.serialized())},
              "generation": {"temperature": 0.9, "maxTokens": 300, "turnMaxTokens": 120},
              "session": {
                "moderator": "lisa", "participants": ["lisa", "oscar", "marcos"], "turnTaking": "\(turnTaking)",
                "phases": [{"name": "ideas", "topic": "New services a neighbourhood library could offer to people who never visit it.",
                            "instructions": "Build on each other's ideas; be concrete.", "turns": \(rounds * 3)}]
              }
            }
            """
        return try JSONValue.parse(text)
    }

    /// The stub's answers: a varied line per turn, one new learned fact per MemListener call, two
    /// queries per recall rewrite, the schema's minimal instance otherwise.
    @Sendable static func reply(to request: StubRequest) -> StubReply {
        guard request.endpoint == .chatCompletions, let json = request.json,
            let name = json["response_format"]?["json_schema"]?["name"]?.stringValue
        else { return StubServer.defaultReply(to: request) }
        let h = fnv1a(request.body)
        var random = RandomStream(seed: h)
        func phrase(_ count: Int) -> String {
            (0..<count).map { _ in benchWords[Int(random.nextInt(below: UInt64(benchWords.count)))] }
                .joined(separator: " ")
        }
        let content: String
        switch name {
        case "action":
            content = AgentAction.speak(content: phrase(40) + ".", to: [], isPrivate: false).json.serialized()
        case "memory_ops":
            let path = learnablePaths[Int(random.nextInt(below: UInt64(learnablePaths.count)))]
            content =
                JSONValue.object(
                    JSONObject([
                        (
                            "ops",
                            .array([
                                .object(
                                    JSONObject([
                                        ("op", "ADD"), ("path", .string(path)), ("value", .string(phrase(12))),
                                    ]))
                            ])
                        )
                    ])
                ).serialized()
        case "recall_queries":
            content = #"{"queries": ["\#(phrase(2))", "\#(phrase(2))"]}"#
        default:
            return StubServer.defaultReply(to: request)
        }
        return .chat(content: content, promptTokens: request.body.count / 4, completionTokens: content.utf8.count / 4)
    }
}

/// Figures over the recorded requests.
struct RequestStats {
    /// Prompt tokens of each agent's action requests, in order, per agent (system message).
    var actionTokens: [[Int]] = []
    var callsByPurpose: [(String, Int)] = []
    var turns = 0
    var totalTokens = 0
    var prefixChars = 0
    var totalChars = 0
    /// Per purpose: (prefix characters, all characters, prompt tokens).
    var byPurpose: [String: (prefix: Int, total: Int, tokens: Int)] = [:]

    init(_ requests: [StubRequest]) {
        var agents: [String: Int] = [:]
        var previous: [String: String] = [:]
        var counts: [String: Int] = [:]
        for request in requests where request.endpoint == .chatCompletions {
            guard let json = request.json, let messages = json["messages"]?.arrayValue else { continue }
            let purpose = json["response_format"]?["json_schema"]?["name"]?.stringValue ?? "other"
            counts[purpose, default: 0] += 1
            let contents = messages.map { $0["content"]?.stringValue ?? "" }
            let tokens = contents.reduce(0) { $0 + ($1.utf8.count + 3) / 4 + PromptSize.framing }
            totalTokens += tokens
            let system = contents.first ?? ""
            let flat = zip(messages, contents).map { ($0["role"]?.stringValue ?? "") + "\u{1}" + $1 }
                .joined(separator: "\u{2}")
            let key = purpose + "\u{3}" + system
            let prefix = previous[key].map { commonPrefix($0.utf8, flat.utf8) } ?? 0
            prefixChars += prefix
            totalChars += flat.utf8.count
            byPurpose[purpose, default: (0, 0, 0)].prefix += prefix
            byPurpose[purpose, default: (0, 0, 0)].total += flat.utf8.count
            byPurpose[purpose, default: (0, 0, 0)].tokens += tokens
            previous[key] = flat
            if purpose == "action" {
                turns += 1
                let index = agents[system] ?? actionTokens.count
                if index == actionTokens.count {
                    agents[system] = index
                    actionTokens.append([])
                }
                actionTokens[index].append(tokens)
            }
        }
        callsByPurpose = counts.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// The mean over agents of their `turn`-th (1-based) action request's tokens.
    func actionTokens(atTurn turn: Int) -> Double {
        let values = actionTokens.compactMap { $0.count >= turn ? $0[turn - 1] : nil }
        return values.isEmpty ? .nan : Double(values.reduce(0, +)) / Double(values.count)
    }

    var callsPerTurn: Double { Double(callsByPurpose.reduce(0) { $0 + $1.1 }) / Double(max(turns, 1)) }
    var tokensPerTurn: Double { Double(totalTokens) / Double(max(turns, 1)) }
    var prefixShare: Double { totalChars == 0 ? 0 : Double(prefixChars) / Double(totalChars) }

    func commonPrefix(_ a: String.UTF8View, _ b: String.UTF8View) -> Int {
        var n = 0
        for (x, y) in zip(a, b) {
            guard x == y else { break }
            n += 1
        }
        return n
    }
}

/// Leaves of `agora.person.v1` a MemListener may fill.
private let learnablePaths = [
    "lifeSituation.currentGoals", "lifeSituation.currentWorries", "lifeSituation.dailyRoutine",
    "personality.temperament", "personality.quirks", "preferences.media", "preferences.dislikes",
    "beliefs.society", "beliefs.technology", "beliefs.money", "relationships.colleagues", "relationships.community",
    "recentExperiences.events", "recentExperiences.conversations", "recentExperiences.opinionsExpressed",
]

private let benchWords = """
    library card reading room children story hour laptop loan language class job help tax forms evening \
    opening weekend music studio maker space printer repair cafe garden seed exchange tool lending games \
    elderly visit delivery bus stop school homework club podcast booth local history archive film night \
    quiet hours noise parents toddlers teenagers volunteers budget council survey poster social media \
    partnership museum market neighbours migrants welcome desk translation ebook audio vinyl records
    """.split(separator: " ").map(String.init)
