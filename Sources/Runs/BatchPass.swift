import Foundation
public import Inference
import Storage

/// How a `--batch` run uses the OpenAI Batch API (``BatchPass``).
public struct BatchOptions: Sendable {
    /// The first wait between two polls of a batch, in seconds; each wait is 1.5 times the last.
    public var pollInterval: Double
    /// The longest wait between two polls, in seconds.
    public var maxPollInterval: Double
    /// Collecting passes at most; what is still missing after them goes to the endpoint directly.
    public var maxWaves: Int
    /// Requests in one batch at most (OpenAI takes 50,000 a file).
    public var maxRequestsPerBatch: Int
    /// Where progress lines go (stderr in `agora`).
    public var log: @Sendable (String) -> Void

    /// Creates options.
    public init(
        pollInterval: Double = 10, maxPollInterval: Double = 300, maxWaves: Int = 32,
        maxRequestsPerBatch: Int = 50_000, log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.pollInterval = max(0.001, pollInterval)
        self.maxPollInterval = max(self.pollInterval, maxPollInterval)
        self.maxWaves = max(1, maxWaves)
        self.maxRequestsPerBatch = max(1, maxRequestsPerBatch)
        self.log = log
    }
}

/// A kind that says how its model calls depend on each other, for `--batch`. A kind that does not
/// conform is collected one call per unit per wave (``BatchingModel/Collecting/firstMissPerUnit``).
public protocol BatchCollecting {
    /// ``BatchingModel/Collecting/independent`` only when no call's request depends on an earlier
    /// call's answer and the kind records a failed structured answer (`invalidStructuredOutput`)
    /// and goes on to its next call.
    var batchCollecting: BatchingModel.Collecting { get }
}

/// The `--batch` pass that runs before a run's units: it collects the requests the response cache
/// cannot answer, sends them to the OpenAI Batch API, waits, and feeds the answers into the cache,
/// so the units then run exactly as without `--batch`, every call a cache hit (one code path for
/// outputs).
///
/// Each wave runs the pending units with ``BatchingModel``s in collecting mode, without committing
/// anything; the declined requests (sorted by cache key) become one batch per model (split at
/// ``BatchOptions/maxRequestsPerBatch``). Waves repeat while new requests appear: answers that
/// unlock later calls (a conversation's next turn, a survey's display logic, a repair round).
///
/// The batches live in the run store (artifact `openai-batches`: file id, batch id, status, applied
/// or not) before they are polled, so a killed process resumes polling the batch it created
/// instead of paying for a second one. A request whose batch answer failed (error file, a non-2xx
/// line, an expired or failed batch) goes through the normal request path in the next wave.
public enum BatchPass {
    /// The artifact holding the batches of a run.
    static let artifact = "openai-batches"

    /// One batch as the run store keeps it.
    struct Record: Sendable, Hashable {
        var model: String
        var wave: Int
        var fileID: String
        var batchID: String?
        var requests: Int
        var status: String
        var applied: Bool

        var json: JSONValue {
            .object(
                JSONObject([
                    ("model", .string(model)), ("wave", .integer(Int64(wave))), ("fileID", .string(fileID)),
                    ("batchID", batchID.map { .string($0) } ?? .null), ("requests", .integer(Int64(requests))),
                    ("status", .string(status)), ("applied", .bool(applied)),
                ]))
        }

        init(model: String, wave: Int, fileID: String, batchID: String?, requests: Int, status: String, applied: Bool) {
            self.model = model
            self.wave = wave
            self.fileID = fileID
            self.batchID = batchID
            self.requests = requests
            self.status = status
            self.applied = applied
        }

        init?(_ value: JSONValue) {
            guard let model = value["model"]?.stringValue, let fileID = value["fileID"]?.stringValue else {
                return nil
            }
            self.init(
                model: model, wave: Int(value["wave"]?.intValue ?? 0), fileID: fileID,
                batchID: value["batchID"]?.stringValue, requests: Int(value["requests"]?.intValue ?? 0),
                status: value["status"]?.stringValue ?? "uploaded", applied: value["applied"]?.boolValue ?? false)
        }
    }

    /// The batches recorded in a run store, in creation order.
    static func recorded(_ store: RunStore) async throws -> [JSONValue] {
        try await store.artifact(artifact)?["batches"]?.arrayValue ?? []
    }

    /// What one call of ``prepare(_:kind:store:seed:personas:width:options:monitor:)`` did.
    public struct Summary: Sendable, Hashable {
        /// Collecting passes run.
        public var waves = 0
        /// Batches created by this process.
        public var created = 0
        /// Batches found in the store unfinished and polled instead of created again.
        public var resumed = 0
        /// Answers fed into the cache.
        public var answered = 0
        /// Requests whose batch answer failed, sent through the normal request path instead.
        public var fellBack = 0
    }

    /// Runs the batch waves for `todo` when `options.batch` is set and the run's models batch;
    /// otherwise does nothing.
    @discardableResult
    static func prepare(
        _ todo: [UnitSpec], kind: any RunKind, store: RunStore, seed: UInt64, personas: [StoredPersona], width: Int,
        options: RunOptions, monitor: RunMonitor
    ) async throws -> Summary {
        var summary = Summary()
        guard let settings = options.batch, let provider = options.models, !todo.isEmpty else { return summary }
        let (models, cache) = provider.batching
        guard !models.isEmpty, let cache else { return summary }
        let collecting = (kind as? any BatchCollecting)?.batchCollecting ?? .firstMissPerUnit
        var records = try await recorded(store).compactMap(Record.init)
        let context = UnitContext(seed: seed, personas: personas)
        for wave in 1...settings.maxWaves {
            summary.waves = wave
            monitor.note("batch wave \(wave): collecting requests")
            for model in models { model.collect(collecting) }
            do {
                try await TaskWindow.run(count: todo.count, width: width) { i in
                    do {
                        _ = try await kind.run(todo[i], context: context)
                    } catch {
                        // Deferred requests end units early; the real pass afterwards decides.
                        try Task.checkCancellation()
                    }
                } receive: { _, _ in
                    try Task.checkCancellation()
                }
            } catch {
                for model in models { model.collect(nil) }
                throw error
            }
            for model in models { model.collect(nil) }
            var worked = false
            for model in models {
                let misses = model.misses
                var jobs = records.indices.filter { records[$0].model == model.identifier && !records[$0].applied }
                if jobs.isEmpty {
                    guard !misses.isEmpty else { continue }
                    jobs = try await submit(
                        misses, model: model, wave: wave, size: settings.maxRequestsPerBatch, records: &records,
                        store: store)
                    summary.created += jobs.count
                } else {
                    summary.resumed += jobs.filter { records[$0].batchID != nil }.count
                }
                worked = true
                var answered: Set<String> = []
                for index in jobs {
                    if records[index].batchID == nil {
                        // Uploaded before a kill, never created: create it now from the same file.
                        let job = try await model.batches.create(
                            inputFileID: records[index].fileID, metadata: [("agora_wave", String(records[index].wave))])
                        records[index].batchID = job.id
                        records[index].status = job.status
                        summary.created += 1
                        try await save(records, store)
                    }
                    answered.formUnion(
                        try await finish(
                            index, model: model, misses: misses, cache: cache, records: &records, store: store,
                            settings: settings, monitor: monitor))
                }
                summary.answered += answered.count
                let failed = misses.map(\.key).filter { !answered.contains($0) }
                if !failed.isEmpty {
                    summary.fellBack += failed.count
                    model.sendLive(failed)
                    settings.log(
                        "batch: \(failed.count) request\(failed.count == 1 ? "" : "s") got no answer from the batch; they go to the endpoint directly"
                    )
                }
            }
            if !worked { return summary }
        }
        settings.log(
            "batch: \(settings.maxWaves) waves done; requests still missing go to the endpoint directly")
        return summary
    }

    /// Writes, uploads and creates the batches for `misses`; returns their record indices.
    static func submit(
        _ misses: [BatchingModel.Miss], model: BatchingModel, wave: Int, size: Int, records: inout [Record],
        store: RunStore
    ) async throws -> [Int] {
        var indices: [Int] = []
        var start = 0
        while start < misses.count {
            let chunk = misses[start..<min(misses.count, start + size)]
            var jsonl: [UInt8] = []
            for miss in chunk {
                BatchAPIClient.line(customID: miss.key, body: miss.body).serialize(appendingTo: &jsonl)
                jsonl.append(0x0A)
            }
            let name = "batch-wave\(wave)-\(indices.count + 1).jsonl"
            // The input file stays in the run folder: what was sent, for the record.
            try? Data(jsonl).write(to: store.directory.appendingPathComponent(name), options: .atomic)
            let fileID = try await model.batches.upload(Data(jsonl), filename: name)
            records.append(
                Record(
                    model: model.identifier, wave: wave, fileID: fileID, batchID: nil, requests: chunk.count,
                    status: "uploaded", applied: false))
            try await save(records, store)
            let index = records.count - 1
            let job = try await model.batches.create(inputFileID: fileID, metadata: [("agora_wave", String(wave))])
            records[index].batchID = job.id
            records[index].status = job.status
            try await save(records, store)
            indices.append(index)
            start += size
        }
        return indices
    }

    /// Polls the batch of `records[index]` until it finishes, feeds its answers into the cache and
    /// marks it applied; returns the keys answered.
    static func finish(
        _ index: Int, model: BatchingModel, misses: [BatchingModel.Miss], cache: ResponseCache,
        records: inout [Record], store: RunStore, settings: BatchOptions, monitor: RunMonitor
    ) async throws -> Set<String> {
        guard let id = records[index].batchID else { return [] }
        var wait = settings.pollInterval
        var job: BatchJob
        while true {
            job = try await model.batches.retrieve(id)
            if job.status != records[index].status {
                records[index].status = job.status
                try await save(records, store)
                settings.log("batch \(id): \(job.status) (\(job.completed) of \(job.total) answered)")
            }
            monitor.note("batch \(id): \(job.status), \(job.completed) of \(job.total) answered")
            if job.isFinished { break }
            try await Task.sleep(for: .seconds(wait))
            wait = min(settings.maxPollInterval, wait * 1.5)
        }
        if !job.errors.isEmpty {
            settings.log("batch \(id) \(job.status): " + job.errors.prefix(3).joined(separator: "; "))
        }
        var results: [BatchResult] = []
        if let output = job.outputFileID {
            results += BatchAPIClient.results(try await model.batches.content(ofFile: output))
        }
        if let errors = job.errorFileID {
            results += BatchAPIClient.results(try await model.batches.content(ofFile: errors))
        }
        var texts: [String: String] = [:]
        for miss in misses { texts[miss.key] = miss.requestText }
        var answered: Set<String> = []
        for result in results.sorted(by: { $0.customID < $1.customID }) {
            guard var response = result.response, let text = texts[result.customID] else { continue }
            response.fromBatch = true
            try await cache.store(response, key: result.customID, requestText: text, model: model.identifier)
            answered.insert(result.customID)
        }
        try await cache.flush()
        records[index].applied = true
        try await save(records, store)
        return answered
    }

    static func save(_ records: [Record], _ store: RunStore) async throws {
        try await store.setArtifact(artifact, .object(JSONObject([("batches", .array(records.map(\.json)))])))
    }
}
