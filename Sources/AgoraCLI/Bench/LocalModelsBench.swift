import Foundation
import Inference
import Storage

/// `agora bench --only local-models`: the built-in models on one fixed workload, to choose the
/// default by measurement (docs/local-model.md). Each model that is built gets its own server with
/// the same context (4,096), the same prompts and temperature 0:
/// - structured answers: 5 personas × 3 survey items (1–5 scale, one of three options), valid
///   on the first call and after the repair round, and the modal share of each item's answers
///   (1.0: everyone answered the same, a degenerate model);
/// - free text: 5 personas asked one open question each, the share of lines without a common
///   English word of three letters or more (gibberish), and completion tokens per second.
/// Never part of a plain `agora bench`: it starts real servers and takes minutes.
enum LocalModelsBench: BenchSuite {
    static let name = "local-models"
    static let onlyWhenAsked = true

    static let personas = [
        "Maria, 34, a night-shift nurse in Phoenix who commutes by car",
        "James, 58, a long-haul truck driver from Atlanta, skeptical of new gadgets",
        "Aisha, 27, a software developer in Boston who bikes to work",
        "Tom, 45, an electrician near Chicago who runs a two-person business",
        "Linda, 67, a retired teacher in Ohio on a tight budget",
    ]

    static let items: [(question: String, schema: JSONValue)] = [
        (
            "How interested are you in a $49 solar kettle, from 1 (not at all) to 5 (extremely)?",
            [
                "type": "object", "properties": ["answer": ["type": "integer", "minimum": 1, "maximum": 5]],
                "required": ["answer"],
            ]
        ),
        (
            "Would you buy an electric bike for $1,200? Answer Yes, No or Not sure.",
            [
                "type": "object", "properties": ["answer": ["type": "string", "enum": ["Yes", "No", "Not sure"]]],
                "required": ["answer"],
            ]
        ),
        (
            "How often do you cook at home, from 1 (never) to 5 (every day)?",
            [
                "type": "object", "properties": ["answer": ["type": "integer", "minimum": 1, "maximum": 5]],
                "required": ["answer"],
            ]
        ),
    ]

    static let openQuestion = "Would a $1,200 electric bike fit your life? Answer in two or three sentences."

    /// Common English words (3+ letters): a line with none of them counts as gibberish.
    static let words: Set<String> = Set(
        """
        the and for are but not you all any can had her was one our out day get has him his how man new now old see
        two way who boy did its let put say she too use that with have this will your from they know want been good
        much some time very when come here just like long make many over such take than them well were what would
        there their about which could other into more these also because think bike work life fit price money cost
        yes would buy car drive ride commute day week home family need use love like really maybe sure help good
        great better best live city town job kids children budget afford expensive cheap hard easy electric miles
        charge battery time every people things first last next year years lot little big small most only own
        """.split(whereSeparator: \.isWhitespace).map(String.init))

    static func run(quick: Bool) async throws -> [BenchFigure] {
        var figures: [BenchFigure] = []
        for choice in LocalModelChoice.all {
            let local = LocalModel(choice: choice)
            guard local.isBuilt else {
                Console.err(
                    "agora bench: \(choice.name) is not built; run agora model setup --model local:\(choice.name)")
                continue
            }
            let server = try await LocalModelServer.start(local, contextSize: 4096)
            defer { server.stop() }
            let model = OpenAICompatibleModel(
                endpoint: Endpoint(
                    baseURL: server.baseURL, model: choice.servedName, requestTimeout: 300,
                    limits: .init(maxInFlight: 1), retry: RetryPolicy(maxAttempts: 2), dialect: .llamaCpp),
                identifier: choice.identifier + "#bench")
            figures += try await measure(model, name: choice.name, quick: quick)
        }
        return figures
    }

    static func measure(_ model: OpenAICompatibleModel, name: String, quick: Bool) async throws -> [BenchFigure] {
        let people = quick ? Array(personas.prefix(2)) : personas
        let generator = StructuredGenerator(model: model)
        var firstCall = 0
        var valid = 0
        var asked = 0
        var modal: [Double] = []
        for item in items {
            var answers: [String] = []
            for person in people {
                asked += 1
                let request = ChatRequest(
                    messages: [
                        .system("You are \(person). Answer as yourself, as JSON."), .user(item.question),
                    ], temperature: 0, maxTokens: 32)
                if let result = try? await generator.generate(request, schema: item.schema, name: "answer") {
                    valid += 1
                    if result.attempts == 1 { firstCall += 1 }
                    answers.append(result.value["answer"].map { CanonicalJSON.string($0) } ?? "")
                }
            }
            let counts = Dictionary(grouping: answers, by: { $0 }).values.map(\.count)
            if !answers.isEmpty { modal.append(Double(counts.max() ?? 0) / Double(answers.count)) }
        }
        var lines = 0
        var gibberish = 0
        var tokens = 0
        var seconds = 0.0
        let clock = ContinuousClock()
        for person in people {
            let start = clock.now
            let response = try await model.complete(
                ChatRequest(
                    messages: [
                        .system("You are \(person). Speak as yourself, in the first person."), .user(openQuestion),
                    ],
                    temperature: 0, maxTokens: 80))
            seconds += BenchClock.seconds(clock.now - start)
            tokens += response.usage.completionTokens
            for line in response.content.split(whereSeparator: \.isNewline) {
                let text = line.trimmingCharacters(in: .whitespaces)
                guard !text.isEmpty else { continue }
                lines += 1
                let found = text.lowercased().split { !$0.isLetter }.contains {
                    $0.count >= 3 && words.contains(String($0))
                }
                if !found { gibberish += 1 }
            }
        }
        let meanModal = modal.isEmpty ? 1 : modal.reduce(0, +) / Double(modal.count)
        return [
            BenchFigure(
                name: "\(name): structured answers valid", value: Double(valid) / Double(max(asked, 1)), unit: "share"),
            BenchFigure(
                name: "\(name): valid on the first call", value: Double(firstCall) / Double(max(asked, 1)),
                unit: "share"),
            BenchFigure(name: "\(name): modal share per item (1 = degenerate)", value: meanModal, unit: "share"),
            BenchFigure(
                name: "\(name): gibberish lines", value: Double(gibberish) / Double(max(lines, 1)), unit: "share"),
            BenchFigure(
                name: "\(name): completion speed", value: Double(tokens) / max(seconds, 1e-9), unit: "tokens/s"),
        ]
    }
}
