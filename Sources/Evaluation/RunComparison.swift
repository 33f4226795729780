public import Foundation
import Inference
import Memory
import Runs
public import Storage

/// `agora compare RUN_DIR…` (docs/ablations.md): the figures of several runs of one conversation
/// scenario side by side — the consistency triple, echo rate, role confusion, failure rates,
/// tokens per turn and cost — with a seeded bootstrap interval of each column's difference from the
/// first column.
///
/// A column is a run, or one arm of an experiment run (the ECP-vs-CONCAT ablation ships as an
/// experiment). The figures come from the run store (per conversation) and from results.json's
/// `consistency` (per speaker, after `agora evaluate`); each difference is resampled over those
/// values: paired when both columns have the same conversations (or speakers), independent
/// otherwise.
public enum RunComparison {
    /// The kinds compare takes.
    static let conversationKinds = ["interview", "focus-group", "brainstorm"]

    /// One value of one column: a conversation's (key: the unit id without its arm) or a
    /// speaker's (key: `unit|speaker`).
    struct Value: Sendable, Hashable {
        var key: String
        var value: Double
    }

    /// A column as loaded: its description and its values per row.
    struct Loaded: Sendable {
        var column: Column
        var identity: String
        var document: JSONValue
        var experimentRun: String?
        var armIdentities: [String]
        var values: [String: [Value]]
    }

    /// One column of the comparison.
    public struct Column: Sendable, Hashable {
        /// The heading: the run id, or the arm name (`run-id:arm` when several runs have arms).
        public var label: String
        /// The run folder.
        public var directory: String
        /// The run id.
        public var runID: String
        /// The experiment arm, if the column is one.
        public var arm: String?
        /// The scenario kind.
        public var kind: String
        /// The scenario id.
        public var scenario: String
        /// `ecp` or `concat`.
        public var projection: String
        /// The model.
        public var model: String
        /// The run seed.
        public var seed: UInt64
    }

    /// The figures compared, in row order: key, label, what a value is of, decimals.
    static let rows: [(key: String, label: String, of: String, decimals: Int)] = [
        ("p2l", "Prompt-to-line consistency", "speakers", 3),
        ("l2l", "Line-to-line consistency", "speakers", 3),
        ("qa", "Q&A consistency", "speakers", 3),
        ("echoRate", "Echo rate", "conversations", 3),
        ("roleConfusionRate", "Role confusion rate", "conversations", 3),
        ("failedTurnRate", "Failed-turn rate", "conversations", 3),
        ("failedUnitRate", "Failed-conversation rate", "conversations", 3),
        ("tokensPerTurn", "Tokens per turn", "conversations", 1),
        ("cost", "Cost in USD", "conversations", 4),
    ]

    /// Compares the runs in `directories`: at least two columns (two runs, or one experiment run
    /// with two arms or more).
    ///
    /// - Throws: ``RunError`` (`invalidInput`) when a folder is not a conversation run, when the runs
    ///   are of different scenarios (only the seed and the context projection may differ, or they
    ///   are arms of one experiment), or when there are fewer than two columns.
    public static func compare(_ directories: [URL], resamples: Int = 2000, seed: UInt64 = 1) async throws
        -> JSONValue
    {
        guard !directories.isEmpty else { throw RunError(.invalidInput, "give the run folders to compare") }
        var loaded: [Loaded] = []
        for directory in directories { loaded += try await load(directory) }
        let multiRunArms = Set(loaded.compactMap(\.experimentRun)).count > 1
        if multiRunArms || (loaded.contains { $0.experimentRun != nil } && loaded.contains { $0.experimentRun == nil })
        {
            for i in loaded.indices where loaded[i].column.arm != nil {
                loaded[i].column.label = "\(loaded[i].column.runID):\(loaded[i].column.arm ?? "")"
            }
        }
        guard loaded.count >= 2 else {
            throw RunError(
                .invalidInput,
                "compare needs two columns: give two run folders of one scenario, or one experiment run with two arms",
                file: directories[0].path)
        }
        try checkSameScenario(loaded)
        let first = loaded[0]
        var rowValues: [JSONValue] = []
        for row in rows {
            var cells: [JSONValue] = []
            var differences: [JSONValue] = []
            let base = first.values[row.key] ?? []
            for (c, column) in loaded.enumerated() {
                let values = column.values[row.key] ?? []
                cells.append(
                    [
                        "mean": values.isEmpty ? .null : .number(Statistics.round6(mean(values.map(\.value)))),
                        "n": .integer(Int64(values.count)),
                    ])
                guard c > 0 else { continue }
                guard !values.isEmpty, !base.isEmpty else {
                    differences.append(.null)
                    continue
                }
                let stream = RandomStream(seed: seed).substream("compare/\(row.key)/\(c)")
                let d = difference(base, values, resamples: resamples, stream: stream)
                differences.append(
                    JSONValue.object(
                        JSONObject([
                            ("column", .string(column.column.label)),
                            ("difference", .number(Statistics.round6(d.estimate))),
                            (
                                "ci",
                                d.interval.map {
                                    .array([.number(Statistics.round6($0.0)), .number(Statistics.round6($0.1))])
                                } ?? .null
                            ),
                            ("paired", .bool(d.paired)),
                        ])))
            }
            rowValues.append(
                .object(
                    JSONObject([
                        ("figure", .string(row.key)), ("label", .string(row.label)), ("of", .string(row.of)),
                        ("decimals", .integer(Int64(row.decimals))), ("columns", .array(cells)),
                        ("differences", .array(differences)),
                    ])))
        }
        return .object(
            JSONObject([
                ("scenario", .string(first.column.scenario)), ("kind", .string(first.column.kind)),
                ("resamples", .integer(Int64(resamples))), ("seed", .integer(Int64(bitPattern: seed))),
                ("columns", .array(loaded.map { columnJSON($0.column) })), ("rows", .array(rowValues)),
            ]))
    }

    static func columnJSON(_ column: Column) -> JSONValue {
        .object(
            JSONObject([
                ("label", .string(column.label)), ("run", .string(column.runID)),
                ("directory", .string(column.directory)),
                ("arm", column.arm.map { .string($0) } ?? .null), ("kind", .string(column.kind)),
                ("scenario", .string(column.scenario)), ("projection", .string(column.projection)),
                ("model", .string(column.model)), ("seed", .integer(Int64(bitPattern: column.seed))),
            ]))
    }

    /// All columns must be of one scenario: the same normalised document (seed and context
    /// projection aside), or arms of one experiment run.
    static func checkSameScenario(_ loaded: [Loaded]) throws(RunError) {
        let first = loaded[0]
        for column in loaded.dropFirst() where column.column.kind != first.column.kind {
            throw RunError(
                .invalidInput,
                "this run is a \(column.column.kind), the first is a \(first.column.kind); compare runs of one scenario",
                file: column.column.directory)
        }
        let identities = Set(loaded.map(\.identity))
        guard identities.count > 1 else { return }
        if loaded.contains(where: { identities.isSubset(of: Set($0.armIdentities)) }) { return }
        let other = loaded.first { $0.identity != first.identity } ?? loaded[1]
        let keys = differingKeys(first, other)
        throw RunError(
            .invalidInput,
            "this run is of a different scenario than \(first.column.directory) (\(other.column.scenario) vs \(first.column.scenario)\(keys)); compare runs of one scenario — they may differ only in seed, model and context projection (agora run … --context ecp|concat), or be arms of one experiment",
            file: other.column.directory)
    }

    /// `; they differ in a, b` for the top-level keys of two normalised documents that differ.
    static func differingKeys(_ a: Loaded, _ b: Loaded) -> String {
        let x = a.document.objectValue ?? JSONObject()
        let y = b.document.objectValue ?? JSONObject()
        var keys: [String] = []
        for key in x.keys + y.keys where !keys.contains(key) && x[key] != y[key] { keys.append(key) }
        return keys.isEmpty ? "" : "; they differ in \(keys.map { "\"\($0)\"" }.joined(separator: ", "))"
    }

    /// The document with the seed and the context projection removed (string forms normalised to
    /// the object form), so an ablation's two runs and two seeds of one file compare equal.
    public static func normalised(_ document: JSONValue) -> JSONValue {
        guard case .object(var root) = document else { return document }
        root["seed"] = nil
        switch root["context"] {
        case .string(let text):
            root["context"] = text == "full" ? .object(JSONObject([("history", .string("full"))])) : nil
        case .object(var object):
            object["projection"] = nil
            if object["history"]?.stringValue == "bounded" { object["history"] = nil }
            root["context"] = object.isEmpty ? nil : .object(object)
        default: break
        }
        return .object(root)
    }

    /// SHA-256 of the canonical normalised document.
    static func identity(_ document: JSONValue) -> String {
        SHA256.hex(CanonicalJSON.string(normalised(document)))
    }

    /// The projection a scenario document sets (`ecp` unless it says `concat`).
    static func projection(_ document: JSONValue) -> String {
        if document["context"]?.stringValue == "concat" || document["context"]?["projection"]?.stringValue == "concat" {
            return "concat"
        }
        return "ecp"
    }

    // MARK: loading

    /// The columns of one run folder: the run, or each arm of an experiment run.
    static func load(_ directory: URL) async throws -> [Loaded] {
        let store = try RunStore.open(directory)
        let manifest = try await store.manifest()
        let data = try await RunData.load(store)
        let consistency = try readConsistency(directory)
        var arms: [(name: String?, index: Int?, document: JSONValue)] = []
        if manifest.kind == "experiment" {
            let base = manifest.document["base"] ?? .null
            let patches = manifest.document["arms"]?.arrayValue ?? []
            guard !patches.isEmpty else {
                throw RunError(
                    .invalidInput, "compare takes experiments with \"arms\" (not factors or conjoints)",
                    file: directory.path)
            }
            for (index, arm) in patches.enumerated() {
                var document = base.mergePatched(with: arm["patch"] ?? .object(JSONObject()))
                if case .object(var object) = document {
                    object["kind"] = base["kind"]
                    document = .object(object)
                }
                arms.append((arm["name"]?.stringValue ?? "arm \(index + 1)", index, document))
            }
        } else {
            arms.append((nil, nil, manifest.document))
        }
        let kind = arms[0].document["kind"]?.stringValue ?? manifest.kind
        guard conversationKinds.contains(kind) else {
            throw RunError(
                .invalidInput,
                "this is a \(kind) run; compare takes conversation runs (interview, focus-group, brainstorm)",
                file: directory.path)
        }
        let armIdentities = arms.map { identity($0.document) }
        var columns: [Loaded] = []
        for arm in arms {
            var units: [UnitRecord] = []
            for unit in data.units {
                if let index = arm.index, Int(unit.spec.input["arm"]?.intValue ?? -1) != index { continue }
                units.append(unit)
            }
            let prefix = arm.name.map { $0 + "/" }
            var values = try await unitValues(units, data: data, store: store, prefix: prefix)
            for (key, list) in speakerValues(consistency, prefix: prefix, armCount: arms.count) { values[key] = list }
            let column = Column(
                label: arm.name ?? manifest.runID, directory: directory.path, runID: manifest.runID, arm: arm.name,
                kind: kind, scenario: arm.document["id"]?.stringValue ?? manifest.runID,
                projection: projection(arm.document), model: manifest.model, seed: manifest.seed)
            columns.append(
                Loaded(
                    column: column, identity: identity(arm.document), document: normalised(arm.document),
                    experimentRun: arm.index == nil ? nil : directory.path, armIdentities: armIdentities, values: values
                ))
        }
        return columns
    }

    /// results.json's `consistency` object, if `agora evaluate` wrote one.
    static func readConsistency(_ directory: URL) throws(RunError) -> JSONValue? {
        let file = directory.appendingPathComponent("results.json")
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        let results: JSONValue
        do {
            results = try JSONValue.parse(try Data(contentsOf: file))
        } catch let error as JSONParseError {
            throw RunError(
                .invalidInput, "results.json is not valid JSON: \(error.message); rebuild it with agora report",
                file: file.path, path: "line \(error.line), column \(error.column)")
        } catch {
            throw RunError(.io, "cannot read results.json: \(error)", file: file.path)
        }
        guard let consistency = results["consistency"], !consistency.isNull else { return nil }
        return consistency
    }

    /// Per-speaker consistency scores (non-null) of the column's units, keyed `unit|speaker`.
    static func speakerValues(_ consistency: JSONValue?, prefix: String?, armCount: Int) -> [String: [Value]] {
        var out: [String: [Value]] = [:]
        for metric in ["p2l", "l2l", "qa"] {
            var list: [Value] = []
            for speaker in consistency?["speakers"]?.arrayValue ?? [] {
                guard var unit = speaker["unit"]?.stringValue, let name = speaker["speaker"]?.stringValue,
                    let score = speaker[metric]?["score"]?.doubleValue
                else { continue }
                if let prefix {
                    // An experiment with several arms names its units `arm/unit`.
                    if armCount > 1 {
                        guard unit.hasPrefix(prefix) else { continue }
                        unit.removeFirst(prefix.count)
                    }
                }
                list.append(Value(key: unit + "|" + name, value: score))
            }
            out[metric] = list
        }
        return out
    }

    /// Per-conversation figures from the run store.
    static func unitValues(_ units: [UnitRecord], data: RunData, store: RunStore, prefix: String?) async throws
        -> [String: [Value]]
    {
        var out: [String: [Value]] = [:]
        func add(_ key: String, _ unit: String, _ value: Double) {
            out[key, default: []].append(Value(key: unit, value: value))
        }
        for unit in units where unit.status != .pending {
            var id = unit.spec.id
            if let prefix, id.hasPrefix(prefix) { id.removeFirst(prefix.count) }
            add("failedUnitRate", id, unit.status == .failed ? 1 : 0)
            guard unit.status == .done else { continue }
            let events = data.events[unit.spec.index] ?? []
            let utterances = events.filter { $0.kind == "utterance" && $0.speaker != nil }
            add(
                "echoRate", id,
                ConversationMetrics.pooledEchoRate(utterances.map { (speaker: $0.speaker, content: $0.content) }))
            if !utterances.isEmpty {
                add(
                    "roleConfusionRate", id,
                    Double(unit.result["roleConfusions"]?.intValue ?? 0) / Double(utterances.count))
            }
            let turns = Int(unit.result["turns"]?.intValue ?? 0)
            if turns > 0 {
                add("failedTurnRate", id, Double(unit.result["failedTurns"]?.intValue ?? 0) / Double(turns))
            }
            let calls = try await store.modelCalls(unit: unit.spec.index)
            if turns > 0 {
                let tokens = calls.reduce(0) { $0 + $1.promptTokens + $1.completionTokens }
                add("tokensPerTurn", id, Double(tokens) / Double(turns))
            }
            if let cost = cost(calls) { add("cost", id, cost) }
        }
        return out
    }

    /// The list-price cost of some calls (local and scripted models are free; Batch API answers at
    /// half price, cache hits otherwise free); `nil` when a model has no known price.
    static func cost(_ calls: [StoredModelCall]) -> Double? {
        var total = 0.0
        for call in calls where !call.cached || call.batch {
            guard
                let cost = PriceTable.listPrices.cost(
                    model: call.model, prompt: call.promptTokens, cached: call.cachedPromptTokens,
                    completion: call.completionTokens, batch: call.batch)
            else { return nil }
            total += cost
        }
        return total
    }

    // MARK: statistics

    static func mean(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count) }

    /// The difference of means `b − a` with a percentile bootstrap interval (95%): paired over the
    /// keys when both have the same keys, each resampled on its own otherwise; no interval with
    /// fewer than two values on a side or no resamples.
    static func difference(_ a: [Value], _ b: [Value], resamples: Int, stream: RandomStream) -> (
        estimate: Double, interval: (Double, Double)?, paired: Bool
    ) {
        let estimate = mean(b.map(\.value)) - mean(a.map(\.value))
        let sortedA = a.sorted { $0.key < $1.key }
        let sortedB = b.sorted { $0.key < $1.key }
        let paired = sortedA.map(\.key) == sortedB.map(\.key) && Set(sortedA.map(\.key)).count == sortedA.count
        guard resamples > 0, a.count >= 2, b.count >= 2 else { return (estimate, nil, paired) }
        var stream = stream
        var draws: [Double] = []
        draws.reserveCapacity(resamples)
        if paired {
            let diffs = zip(sortedA, sortedB).map { $1.value - $0.value }
            for _ in 0..<resamples {
                var total = 0.0
                for _ in diffs.indices { total += diffs[Int(stream.nextInt(below: UInt64(diffs.count)))] }
                draws.append(total / Double(diffs.count))
            }
        } else {
            let xs = a.map(\.value)
            let ys = b.map(\.value)
            for _ in 0..<resamples {
                var sx = 0.0
                for _ in xs.indices { sx += xs[Int(stream.nextInt(below: UInt64(xs.count)))] }
                var sy = 0.0
                for _ in ys.indices { sy += ys[Int(stream.nextInt(below: UInt64(ys.count)))] }
                draws.append(sy / Double(ys.count) - sx / Double(xs.count))
            }
        }
        draws.sort()
        return (estimate, (percentile(draws, 0.025), percentile(draws, 0.975)), paired)
    }

    /// The `q` quantile of sorted values, linearly interpolated.
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(sorted.count - 1, lower + 1)
        let fraction = position - Double(lower)
        return sorted[lower] * (1 - fraction) + sorted[upper] * fraction
    }
}
