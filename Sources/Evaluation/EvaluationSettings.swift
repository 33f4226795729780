import Inference
public import Storage

/// What `agora evaluate` (and a scenario's `evaluation` section) asks for.
public struct EvaluationSettings: Sendable, Hashable {
    /// The judge model spec (`local`, `openai:MODEL`…), as given (never a key).
    public var judge: String
    /// The metrics, in order.
    public var metrics: [ConsistencyMetric]
    /// Only these speakers (speaker ids or display names); `nil`: every simulated speaker.
    public var speakers: [String]?
    /// Judge a seeded sample of this many conversations; `nil`: all.
    public var sample: Int?
    /// Prompt-to-line with the last `k` transcript lines (`withContext(k)`); `nil`: no context.
    public var contextLines: Int?
    /// A majority of three samples per verdict.
    public var majority: Bool
    /// Conversations judged at once.
    public var concurrency: Int

    /// Creates settings.
    public init(
        judge: String, metrics: [ConsistencyMetric] = ConsistencyMetric.allCases, speakers: [String]? = nil,
        sample: Int? = nil, contextLines: Int? = nil, majority: Bool = false, concurrency: Int = 4
    ) {
        self.judge = judge
        self.metrics = metrics
        self.speakers = speakers
        self.sample = sample
        self.contextLines = contextLines
        self.majority = majority
        self.concurrency = concurrency
    }

    /// Reads a scenario's `evaluation` section: `{"judge": "local", "metrics": ["p2l", …], "sample": N}`.
    ///
    /// - Throws: ``EvaluationError`` naming the JSON path under `path` and the fix.
    public static func parse(_ value: JSONValue, file: String?, path: String = "$.evaluation") throws(EvaluationError)
        -> EvaluationSettings
    {
        guard let object = value.objectValue else {
            throw EvaluationError(
                .invalidInput, "must be an object such as {\"judge\": \"local\", \"metrics\": [\"p2l\", \"l2l\"]}",
                file: file, path: path)
        }
        for key in object.keys where !["judge", "metrics", "sample", "speakers", "context", "majority"].contains(key) {
            throw EvaluationError(
                .invalidInput, "unknown key; use judge, metrics, sample, speakers, context or majority", file: file,
                path: "\(path).\(key)")
        }
        guard let judge = object["judge"]?.stringValue, !judge.isEmpty else {
            throw EvaluationError(
                .invalidInput, "give the judge model, e.g. \"judge\": \"local\"", file: file, path: "\(path).judge")
        }
        do {
            _ = try ModelSpec.parse(judge, modelName: nil)
        } catch {
            throw EvaluationError(
                .invalidInput, "not a model spec: \(error)", file: file, path: "\(path).judge", underlying: error)
        }
        var settings = EvaluationSettings(judge: judge)
        if let metrics = object["metrics"] {
            guard let list = metrics.arrayValue, !list.isEmpty else {
                throw EvaluationError(
                    .invalidInput, "must be a non-empty list of p2l, l2l, qa", file: file, path: "\(path).metrics")
            }
            var parsed: [ConsistencyMetric] = []
            for (i, item) in list.enumerated() {
                guard let metric = ConsistencyMetric(rawValue: item.stringValue ?? "") else {
                    throw EvaluationError(
                        .invalidInput, "unknown metric; use p2l, l2l or qa", file: file, path: "\(path).metrics[\(i)]")
                }
                if !parsed.contains(metric) { parsed.append(metric) }
            }
            settings.metrics = parsed
        }
        func count(_ key: String) throws(EvaluationError) -> Int? {
            guard let value = object[key] else { return nil }
            guard let n = value.intValue, n >= 1 else {
                throw EvaluationError(.invalidInput, "must be a whole number ≥ 1", file: file, path: "\(path).\(key)")
            }
            return Int(n)
        }
        settings.sample = try count("sample")
        settings.contextLines = try count("context")
        if let speakers = object["speakers"] {
            guard let list = speakers.arrayValue?.compactMap(\.stringValue), !list.isEmpty else {
                throw EvaluationError(
                    .invalidInput, "must be a non-empty list of speaker ids or names", file: file,
                    path: "\(path).speakers")
            }
            settings.speakers = list
        }
        if let majority = object["majority"] {
            guard let flag = majority.boolValue else {
                throw EvaluationError(.invalidInput, "must be true or false", file: file, path: "\(path).majority")
            }
            settings.majority = flag
        }
        return settings
    }

    /// A short digest of what changes a judgment (judge, context, majority): stored judgments of
    /// other settings are never reused.
    var judgmentKey: String {
        let document: JSONValue = [
            "judge": .string(judge), "context": contextLines.map { .integer(Int64($0)) } ?? .null,
            "majority": .bool(majority),
        ]
        return String(SHA256.hex(CanonicalJSON.string(document)).prefix(12))
    }
}

/// What an evaluation did.
public struct ConsistencyOutcome: Sendable {
    /// results.json's `consistency` object.
    public var summary: JSONValue
    /// consistency-lines.jsonl's objects, in order.
    public var lines: [JSONValue]
    /// Model calls asked now (cached or not).
    public var calls: Int
    /// Of which the response cache served.
    public var cachedCalls: Int
    /// (conversation, speaker, metric) groups read back from the run store instead of judged again.
    public var reused: Int
    /// Judgments that failed (a verdict that never matched its schema); left out of the scores.
    public var failures: Int
}
