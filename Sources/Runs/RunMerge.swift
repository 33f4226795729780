public import Foundation
import Storage

/// `agora merge`: joins the run folders of a sharded run (`agora run --shard I/N`) into one run
/// folder whose store holds every unit as a single-process run would, so the normal output path
/// (``RunEngine/rebuild(_:registry:)``) writes byte-identical outputs.
///
/// The merged store is built beside its final name (`run.sqlite.merging`) and renamed into place
/// only when complete: a merge interrupted at any moment is finished by running it again (a
/// leftover partial store is discarded; a complete one is kept and only the outputs are rewritten).
public enum RunMerge {
    /// What a merge joined.
    public struct Summary: Sendable {
        /// The merged run folder.
        public var directory: URL
        /// The shards joined, in the order given.
        public var shards: [RunShard]
        /// Units in the run.
        public var units: Int
        /// Whether the merged store was already there from an earlier (interrupted) merge of the same shards.
        public var reused: Bool
    }

    /// One shard folder read for a merge.
    struct Input {
        var directory: URL
        var manifest: RunManifest
        var shard: RunShard
        var units: Int
        var personas: Int
        var notRun: [Int]
    }

    /// Checks that `shards` are the shards of one run (scenario digest, kind, seed and model) and
    /// together hold every unit exactly once, then writes the merged store into `directory`.
    ///
    /// - Throws: ``RunError`` (`invalidInput`, exit 2) naming the shard folders that do not belong
    ///   together, the units missing or doubled, or shards with units not run yet.
    public static func merge(_ shards: [URL], into directory: URL) async throws -> Summary {
        guard !shards.isEmpty else {
            throw RunError(.invalidInput, "give the run folders of every shard: agora merge RUN_DIR… --out DIR")
        }
        var seen: Set<String> = []
        for folder in shards where !seen.insert(folder.standardizedFileURL.path).inserted {
            throw RunError(
                .invalidInput, "the run folder is given twice; give each shard's folder once", file: folder.path)
        }
        var locks: [RunLock] = []
        var inputs: [Input] = []
        for folder in shards {
            let store = try RunStore.open(folder)
            locks.append(try RunLock.acquire(folder))  // a shard still running is refused here
            let manifest = try await store.manifest()
            let counts = try await store.counts(notRunIn: manifest.shard ?? RunShard(index: 0, count: 1)!)
            inputs.append(
                Input(
                    directory: folder, manifest: manifest, shard: manifest.shard ?? RunShard(index: 0, count: 1)!,
                    units: counts.units, personas: counts.personas, notRun: counts.notRun))
        }
        try check(inputs)
        let merged = directory.appendingPathComponent(RunStore.fileName)
        let marker = mergeMarker(inputs)
        if FileManager.default.fileExists(atPath: merged.path) {
            // An earlier merge of the same shards finished its store: only the outputs remain to write.
            let existing = try RunStore.open(directory)
            guard try await existing.mergedFrom() == marker else {
                throw RunError(
                    .runStore,
                    "a run already exists here that is not a merge of these shards; choose another --out",
                    file: merged.path)
            }
            withExtendedLifetime(locks) {}
            return Summary(directory: directory, shards: inputs.map(\.shard), units: inputs[0].units, reused: true)
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw RunError(.io, "cannot create the merged run folder", file: directory.path, underlying: error)
        }
        let outLock = try RunLock.acquire(directory)
        let staging = directory.appendingPathComponent(RunStore.fileName + ".merging").path
        let plan = inputs.map { (path: $0.directory.appendingPathComponent(RunStore.fileName).path, shard: $0.shard) }
        try await onQueue { try build(staging: staging, from: plan, marker: marker) }
        do {
            // Built without syncs: flush it to disk before it takes the final name.
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: staging))
            try handle.synchronize()
            try handle.close()
            try FileManager.default.moveItem(atPath: staging, toPath: merged.path)
        } catch {
            throw RunError(.io, "cannot move the merged store into place", file: merged.path, underlying: error)
        }
        withExtendedLifetime((locks, outLock)) {}
        return Summary(directory: directory, shards: inputs.map(\.shard), units: inputs[0].units, reused: false)
    }

    /// The checks of ``merge(_:into:)``: one run, every unit exactly once, every unit run.
    static func check(_ inputs: [Input]) throws(RunError) {
        let first = inputs[0]
        for input in inputs.dropFirst() {
            var differences: [String] = []
            if input.manifest.kind != first.manifest.kind {
                differences.append("kind \(input.manifest.kind) vs \(first.manifest.kind)")
            }
            if input.manifest.digest != first.manifest.digest {
                differences.append(
                    "scenario digest \(input.manifest.digest.prefix(12))… vs \(first.manifest.digest.prefix(12))…")
            }
            if input.manifest.seed != first.manifest.seed {
                differences.append("seed \(input.manifest.seed) vs \(first.manifest.seed)")
            }
            if input.manifest.model != first.manifest.model {
                differences.append("model \(input.manifest.model) vs \(first.manifest.model)")
            }
            if input.units != first.units || input.personas != first.personas {
                differences.append(
                    "\(input.units) units and \(input.personas) personas vs \(first.units) and \(first.personas)")
            }
            if !differences.isEmpty {
                throw RunError(
                    .invalidInput,
                    "not a shard of the same run as \(first.directory.path): \(differences.joined(separator: ", ")); merge only the shards of one agora run --shard I/N",
                    file: input.directory.path)
            }
        }
        // Every unit must belong to exactly one shard given.
        var missing: [Int] = []
        var doubled: [Int] = []
        var missingCount = 0
        var doubledCount = 0
        for unit in 0..<first.units {
            var owners = 0
            for input in inputs where input.shard.contains(unit) { owners += 1 }
            if owners == 0 {
                missingCount += 1
                if missing.count < 5 { missing.append(unit) }
            } else if owners > 1 {
                doubledCount += 1
                if doubled.count < 5 { doubled.append(unit) }
            }
        }
        var problems: [String] = []
        if missingCount > 0 {
            problems.append(
                "\(missingCount) units missing (no shard given holds unit \(list(missing, of: missingCount)))"
                    + hint(missingShards(inputs), "give the folder of shard"))
        }
        if doubledCount > 0 {
            problems.append(
                "\(doubledCount) units doubled (more than one shard given holds unit \(list(doubled, of: doubledCount)))"
                    + hint(doubledShards(inputs), "give only one folder of shard"))
        }
        if !problems.isEmpty {
            throw RunError(
                .invalidInput,
                "the shards do not cover the run's \(first.units) units exactly once: "
                    + problems.joined(separator: "; "))
        }
        for input in inputs where !input.notRun.isEmpty {
            throw RunError(
                .invalidInput,
                "shard \(input.shard) has \(input.notRun.count) of its units not run yet (unit \(list(Array(input.notRun.prefix(5)), of: input.notRun.count))); finish it with agora run --resume \(input.directory.path), then merge",
                file: input.directory.path)
        }
    }

    private static func list(_ units: [Int], of count: Int) -> String {
        units.map(String.init).joined(separator: ", ") + (count > units.count ? ", …" : "")
    }

    private static func hint(_ shards: [String], _ what: String) -> String {
        shards.isEmpty ? "" : "; \(what) \(shards.joined(separator: ", "))"
    }

    /// When every shard given has the same N: the indices 0…N-1 not given.
    private static func missingShards(_ inputs: [Input]) -> [String] {
        let n = inputs[0].shard.count
        guard inputs.allSatisfy({ $0.shard.count == n }) else { return [] }
        let given = Set(inputs.map(\.shard.index))
        return (0..<n).filter { !given.contains($0) }.map { "\($0)/\(n)" }
    }

    /// The shards given more than once (same I/N).
    private static func doubledShards(_ inputs: [Input]) -> [String] {
        var seen: [RunShard: [String]] = [:]
        for input in inputs { seen[input.shard, default: []].append(input.directory.path) }
        return inputs.map(\.shard).reduce(into: [RunShard]()) { if !$0.contains($1) { $0.append($1) } }
            .filter { (seen[$0]?.count ?? 0) > 1 }
            .map { "\($0) (\(seen[$0]!.joined(separator: " and ")))" }
    }

    /// What the merged store records it was merged from (manifest key `merged_from`).
    static func mergeMarker(_ inputs: [Input]) -> String {
        let shards = inputs.map(\.shard).sorted { ($0.count, $0.index) < ($1.count, $1.index) }
        return JSONValue.object(
            JSONObject([
                ("digest", .string(inputs[0].manifest.digest)),
                ("seed", .string(String(inputs[0].manifest.seed))),
                ("shards", .array(shards.map { .string($0.description) })),
            ])
        ).serialized()
    }

    /// Builds the merged store at `staging`: a compact copy of the first shard, then each other
    /// shard's units (status, result, events, model calls, memory operations) copied over with SQL.
    static func build(staging: String, from shards: [(path: String, shard: RunShard)], marker: String) throws {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: staging + suffix) }
        do {
            let base = try Connection(.file(shards[0].path), readOnly: true)
            try base.execute("VACUUM INTO \(quoted(staging))")
        }
        let c = try Connection(.file(staging))
        // The staging file is thrown away unless the whole build finishes (it is renamed into place
        // only then), so it needs no journal and no syncs until the end; a larger page cache keeps the
        // index updates of a million units in memory.
        try c.execute("PRAGMA journal_mode = OFF")
        try c.execute("PRAGMA synchronous = OFF")
        try c.execute("PRAGMA cache_size = -262144")
        for (path, shard) in shards.dropFirst() {
            try c.execute("ATTACH DATABASE \(quoted(path)) AS shard")
            let owned = "% \(shard.count) = \(shard.index)"
            try c.transaction {
                for (table, columns) in [
                    ("events", "unit, seq, kind, speaker, speaker_name, content, data"),
                    (
                        "model_calls",
                        "unit, seq, model, cache_key, purpose, prompt_tokens, completion_tokens, latency_s, cached, error, cached_prompt_tokens, batch"
                    ),
                    ("memory_operations", "unit, seq, json"),
                ] {
                    try c.execute("DELETE FROM main.\(table) WHERE unit \(owned)")
                    try c.execute(
                        "INSERT INTO main.\(table)(\(columns)) SELECT \(columns) FROM shard.\(table) WHERE unit \(owned) ORDER BY unit, seq"
                    )
                }
                try c.execute(
                    """
                    UPDATE main.units SET (status, result, error, commits) =
                        (SELECT o.status, o.result, o.error, o.commits FROM shard.units AS o WHERE o.idx = units.idx)
                    WHERE idx \(owned)
                    """)
            }
            try c.execute("DETACH DATABASE shard")
        }
        try c.transaction {
            try c.run("DELETE FROM manifest WHERE key = 'shard'")
            try c.run("INSERT OR REPLACE INTO manifest(key, value) VALUES ('merged_from', ?)", [.text(marker)])
        }
        try c.execute("PRAGMA journal_mode = DELETE")
    }

    private static func quoted(_ path: String) -> String {
        "'" + path.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// Runs blocking SQLite work off the cooperative pool.
    private static func onQueue(_ body: @escaping @Sendable () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            DispatchQueue.global().async {
                do {
                    try body()
                    continuation.resume()
                } catch let error as RunError {
                    continuation.resume(throwing: error)
                } catch {
                    continuation.resume(
                        throwing: RunError(.runStore, "cannot merge the run stores: \(error)", underlying: error))
                }
            }
        }
    }
}

extension RunStore {
    /// Units and personas in the run, and the units of `shard` not done or failed yet.
    func counts(notRunIn shard: RunShard) async throws(RunError) -> (units: Int, personas: Int, notRun: [Int]) {
        try await read("count the units") { c in
            let notRun = try c.query(
                "SELECT idx FROM units WHERE idx % ? = ? AND status = 'pending' ORDER BY idx",
                [.integer(Int64(shard.count)), .integer(Int64(shard.index))]
            ).map { Int(try $0.int("idx")) }
            let units = try c.queryOne("SELECT count(*) AS n FROM units")?.int("n") ?? 0
            let personas = try c.queryOne("SELECT count(*) AS n FROM personas")?.int("n") ?? 0
            return (Int(units), Int(personas), notRun)
        }
    }

    /// The `merged_from` key of a merged run's manifest, if any.
    func mergedFrom() async throws(RunError) -> String? {
        try await read("read the manifest") { c in
            try c.queryOne("SELECT value FROM manifest WHERE key = 'merged_from'")?.string("value")
        }
    }
}
