public import Foundation
public import Storage
import Synchronization

/// How a run is run (the engine's flags, as a value).
public struct RunOptions: Sendable {
    /// The folder run folders are created in (`--out`, default `runs`).
    public var outDirectory: URL
    /// A run folder to continue (`--resume`): done units are skipped.
    public var resume: URL?
    /// Run only the first N units (`--limit`).
    public var limit: Int?
    /// Units in flight at once (`--concurrency`; `nil`: the kind's default, else 1).
    public var concurrency: Int?
    /// How long the run may start units (`--deadline`): past it no new unit starts, the units in
    /// flight finish and are committed, and the rest stay pending for `--resume`.
    public var deadline: Duration?
    /// The run's models, whose endpoint profiles go into the manifest (`models`); `nil`: none recorded.
    public var models: (any ModelProvider)?
    /// `--batch`: send what the cache misses to the OpenAI Batch API first (``BatchPass``).
    public var batch: BatchOptions?
    /// Run only this shard's units (`--shard I/N`): the run folder is `<out>/<base>-shard-I-of-N`,
    /// and starting the same shard again continues it (a restarted Kubernetes pod or Slurm task).
    public var shard: RunShard?

    /// Creates options.
    public init(
        outDirectory: URL, resume: URL? = nil, limit: Int? = nil, concurrency: Int? = nil, deadline: Duration? = nil
    ) {
        self.outDirectory = outDirectory
        self.resume = resume
        self.limit = limit
        self.concurrency = concurrency
        self.deadline = deadline
    }
}

/// What a finished (or stopped) run produced.
public struct RunSummary: Sendable {
    /// The run folder.
    public var directory: URL
    /// The run id.
    public var runID: String
    /// Units in the run (all, not only this invocation's).
    public var unitsTotal: Int
    /// Units done.
    public var unitsDone: Int
    /// Units failed as a whole.
    public var unitsFailed: Int
    /// Failures recorded inside done units (failed items or turns, failed trials).
    public var itemFailures: Int
    /// The output files written, in order.
    public var outputs: [URL]
    /// `results.json`'s content.
    public var results: JSONValue
    /// The kind's summary lines (a results table), for stdout.
    public var lines: [String]
    /// Whether `--deadline` left units unstarted.
    public var deadlineReached = false

    /// Units neither done nor failed (left by `--limit`, or by an interruption).
    public var unitsPending: Int { unitsTotal - unitsDone - unitsFailed }

    /// Whether anything failed, or the deadline left units unstarted (`agora` exits 1).
    public var hasFailures: Bool { unitsFailed > 0 || itemFailures > 0 || deadlineReached }
}

/// The run engine: creates or reopens the run store, runs the pending units of a ``RunKind`` in one
/// bounded sliding window, commits each unit with its done mark in one transaction, and writes the
/// outputs from the store.
///
/// Outputs depend only on the stored units in index order, so they are byte-identical at any
/// concurrency and after any number of resumes.
public enum RunEngine {
    /// Starts a new run of `kind`.
    public static func start(
        _ kind: any RunKind, options: RunOptions, monitor: RunMonitor = RunMonitor()
    ) async throws -> RunSummary {
        let directory: URL
        let runID: String
        switch (kind.folder, options.shard) {
        case (.numbered(let base), nil):
            directory = freshDirectory(options.outDirectory, base: base)
            runID = directory.lastPathComponent
        case (.exact(let name), nil):
            directory = options.outDirectory.appendingPathComponent(name)
            runID = name
        case (.numbered(let name), let shard?), (.exact(let name), let shard?):
            // A shard's folder is fixed, so the same command run again continues it; its run id is
            // the one a single run would have, so the merged outputs name the run the same way.
            directory = options.outDirectory.appendingPathComponent("\(name)-\(shard.folderSuffix)")
            runID = name
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent(RunStore.fileName).path) {
                return try await continueShard(
                    kind, directory: directory, shard: shard, options: options, monitor: monitor)
            }
        }
        var manifest = RunManifest(
            runID: runID, kind: kind.name, document: kind.document,
            sourceFile: kind.sourceFile.map { URL(fileURLWithPath: $0).standardized.path }, seed: kind.seed,
            model: kind.modelLabel)
        manifest.shard = options.shard
        if let streaming = kind as? any StreamingPlan {
            let store = try await planStreamed(streaming, at: directory, manifest: manifest)
            return try await run(kind, store: store, options: options, monitor: monitor)
        }
        let plan = try await kind.plan()
        let store = try await RunStore.create(
            at: directory, manifest: manifest, personas: plan.personas.map { ($0.id, $0.json) }, units: plan.units)
        return try await run(kind, store: store, options: options, monitor: monitor)
    }

    /// Starting a shard whose folder already holds it continues it, once its stored scenario, seed
    /// and shard are checked to be the ones given.
    static func continueShard(
        _ kind: any RunKind, directory: URL, shard: RunShard, options: RunOptions, monitor: RunMonitor
    ) async throws -> RunSummary {
        let store = try RunStore.open(directory)
        let manifest = try await store.manifest()
        let digest = RunManifest.digest(of: kind.document)
        guard manifest.digest == digest, manifest.seed == kind.seed, manifest.shard == shard else {
            throw RunError(
                .runStore,
                "this folder holds shard \(manifest.shard?.description ?? "none") of another run (scenario digest \(manifest.digest.prefix(12))…, seed \(manifest.seed)) than the one given (shard \(shard), digest \(digest.prefix(12))…, seed \(kind.seed)); give another --out",
                file: directory.path)
        }
        return try await run(kind, store: store, options: options, monitor: monitor)
    }

    /// Continues the run in `directory` with `kind` as given (a caller that already holds its kind).
    public static func resume(
        _ kind: any RunKind, directory: URL, options: RunOptions, monitor: RunMonitor = RunMonitor()
    ) async throws -> RunSummary {
        try await run(kind, store: try RunStore.open(directory), options: options, monitor: monitor)
    }

    /// Continues the run in `directory`, loading its kind from the stored document with `registry`.
    ///
    /// - Parameter given: the scenario document given again on the command line, if any; it must be
    ///   the one the run started with.
    public static func resume(
        _ directory: URL, registry: RunKindRegistry, models: any ModelProvider, given: JSONValue? = nil,
        overrides: JSONObject = JSONObject(), options: RunOptions, monitor: RunMonitor = RunMonitor()
    ) async throws -> RunSummary {
        let store = try RunStore.open(directory)
        let lock = try RunLock.acquire(directory)  // before any model starts: a second process stops here
        let manifest = try await store.manifest()
        var overrides = overrides
        overrides["seed"] = .integer(Int64(bitPattern: manifest.seed))  // the stored seed wins
        let kind: any RunKind
        if let given {
            // The file given again must describe this run: its kind's stored document must match.
            kind = try await registry.load(
                RunSource(
                    document: given, file: manifest.sourceFile, purpose: .resume, overrides: overrides, models: models))
            let digest = RunManifest.digest(of: kind.document)
            if digest != manifest.digest {
                throw RunError(
                    .runStore,
                    "the scenario file changed since this run started (digest \(manifest.digest.prefix(12))… vs \(digest.prefix(12))…); start a new run instead of --resume",
                    file: directory.path)
            }
        } else {
            kind = try await registry.load(
                RunSource(
                    document: manifest.document, file: manifest.sourceFile, purpose: .resume, overrides: overrides,
                    models: models))
        }
        var options = options
        if options.concurrency == nil, kind.defaultConcurrency == nil {
            options.concurrency = models.defaultConcurrency
        }
        options.models = options.models ?? models
        return try await execute(kind, store: store, lock: lock, options: options, monitor: monitor)
    }

    /// Rewrites every output of the run in `directory` from its store and returns its report in `format`.
    public static func report(_ directory: URL, registry: RunKindRegistry, format: ReportFormat) async throws
        -> String
    {
        let store = try RunStore.open(directory)
        let lock = try RunLock.acquire(directory)  // the outputs are rewritten: not while a run writes them
        let manifest = try await store.manifest()
        let kind = try await registry.load(
            RunSource(document: manifest.document, file: manifest.sourceFile, purpose: .report))
        let written = try await writeAllOutputs(kind, store: store)
        withExtendedLifetime(lock) {}
        if format == .json { return written.results.serialized(pretty: true) + "\n" }
        return try kind.report(try await RunData.load(store), results: written.results, format: format)
    }

    /// Rewrites every output of the run in `directory` from its store (`agora merge` ends with it);
    /// returns the files written, in order.
    public static func rebuild(_ directory: URL, registry: RunKindRegistry) async throws -> [URL] {
        let store = try RunStore.open(directory)
        let lock = try RunLock.acquire(directory)
        defer { withExtendedLifetime(lock) {} }
        let manifest = try await store.manifest()
        let kind = try await registry.load(
            RunSource(document: manifest.document, file: manifest.sourceFile, purpose: .report))
        return try await writeAllOutputs(kind, store: store).files
    }

    /// Runs the pending units of the run in `store` as `kind` and writes the outputs (what
    /// ``start(_:options:monitor:)`` and ``resume(_:registry:models:given:overrides:options:monitor:)`` end with).
    ///
    /// - Throws: ``RunError`` (`runStore`) when another process holds the run's ``RunLock``.
    public static func run(
        _ kind: any RunKind, store: RunStore, options: RunOptions, monitor: RunMonitor
    ) async throws -> RunSummary {
        try await execute(
            kind, store: store, lock: try RunLock.acquire(store.directory), options: options, monitor: monitor)
    }

    static func execute(
        _ kind: any RunKind, store: RunStore, lock: RunLock, options: RunOptions, monitor: RunMonitor
    ) async throws -> RunSummary {
        defer { withExtendedLifetime(lock) {} }
        let manifest = try await store.manifest()
        if try await store.isPlanning() {
            throw RunError(
                .runStore, "this run stopped while it was being planned; start a new run (delete this folder)",
                file: store.directory.path)
        }
        if let given = options.shard, given != manifest.shard {
            throw RunError(
                .runStore,
                "this run folder holds \(manifest.shard.map { "shard \($0)" } ?? "a whole run"), not shard \(given); drop --shard or give the shard's own folder",
                file: store.directory.path)
        }
        let shard = manifest.shard
        let scope = UnitScope(limit: options.limit, shard: shard)
        let mine = try await store.unitCounts(shard: shard, below: options.limit)
        monitor.update { c in
            c.unitsTotal = mine.total - mine.done
            c.unitsSkipped = mine.done
        }
        let width = options.concurrency ?? kind.defaultConcurrency ?? 1
        monitor.setRunDirectory(store.directory)
        let skipped: Int
        do {
            try await recordModels(options.models, store: store)
            if options.batch != nil {
                // The Batch API pass collects every pending unit's requests into one batch file.
                let todo = try await store.units().filter { scope.contains($0.spec.index) && $0.status != .done }
                try await BatchPass.prepare(
                    todo.map(\.spec), kind: kind, store: store, seed: manifest.seed,
                    personas: try await store.personas().map { StoredPersona(id: $0.id, json: $0.json) }, width: width,
                    options: options, monitor: monitor)
            }
            skipped = try await runPending(
                kind, store: store, scope: scope, seed: manifest.seed, width: width, deadline: options.deadline,
                monitor: monitor)
        } catch {
            // The run stops (an unusable endpoint, a replay-only miss, Ctrl-C): the outputs still
            // describe what the store holds, so they never disagree with it.
            try? await recordModels(options.models, store: store)
            _ = try? await writeAllOutputs(kind, store: store)
            throw error
        }
        try await recordModels(options.models, store: store)
        let written = try await writeAllOutputs(kind, store: store)
        // A shard counts only its own units: the others are other shards' work, not pending here.
        let counted = try await store.unitCounts(shard: shard)
        return RunSummary(
            directory: store.directory, runID: store.directory.lastPathComponent, unitsTotal: counted.total,
            unitsDone: counted.done, unitsFailed: counted.failed, itemFailures: written.itemFailures,
            outputs: written.files, results: written.results, lines: written.lines, deadlineReached: skipped > 0)
    }

    /// Records the endpoint profiles of the models connected so far in the manifest (`models`).
    static func recordModels(_ models: (any ModelProvider)?, store: RunStore) async throws(RunError) {
        guard let profiles = models?.profiles, !profiles.isEmpty else { return }
        try await store.setModels(profiles)
    }

    /// Runs `todo` in one window, committing each unit as it finishes; returns how many units the
    /// deadline left unstarted.
    static func runUnits(
        _ todo: [UnitSpec], kind: any RunKind, store: RunStore, context: UnitContext, width: Int,
        deadline: Duration?, monitor: RunMonitor
    ) async throws -> Int {
        let clock = ContinuousClock()
        let end = deadline.map { clock.now + $0 }
        let skipped = Mutex(0)
        // Each child returns its outcome and the engine commits it (one transaction per unit) after
        // topping the window up, so commits never hold a unit's slot.
        try await TaskWindow.run(count: todo.count, width: width) { i -> UnitOutcome? in
            // Past the deadline no unit starts; the ones already running finish.
            if let end, clock.now >= end {
                skipped.withLock { $0 += 1 }
                return nil
            }
            return try await kind.run(todo[i], context: context)
        } receive: { i, result in
            guard let outcome = result else { return }
            try await store.commit(outcome)
            let record = UnitRecord(
                spec: todo[i], status: outcome.status, result: outcome.result, error: outcome.error, commits: 0)
            monitor.update { c in
                c.unitsFinished += 1
                if outcome.status == .failed { c.unitsFailed += 1 }
                if outcome.status == .done { c.itemFailures += kind.failures(in: record) }
            }
        }
        return skipped.withLock { $0 }
    }

    /// Writes the kind's outputs into `directory` (each atomically); returns the files in order.
    static func writeOutputs(_ kind: any RunKind, data: RunData, results: JSONValue, directory: URL) async throws
        -> [URL]
    {
        var written: [URL] = []
        for output in try await kind.outputs(data, results: results) {
            let url = directory.appendingPathComponent(output.name)
            do {
                try Data(output.text.utf8).write(to: url, options: .atomic)
            } catch {
                throw RunError(.io, "cannot write \(output.name)", file: url.path, underlying: error)
            }
            written.append(url)
        }
        return written
    }

    /// `<out>/<base>`, or `<out>/<base>-2`, `-3`… when taken.
    static func freshDirectory(_ out: URL, base: String) -> URL {
        var candidate = out.appendingPathComponent(base)
        var n = 2
        while FileManager.default.fileExists(atPath: candidate.path) {
            candidate = out.appendingPathComponent("\(base)-\(n)")
            n += 1
        }
        return candidate
    }
}
