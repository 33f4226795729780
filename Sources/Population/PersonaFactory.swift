import Foundation
import Storage

/// How many attempts were rejected for one reason.
public struct RejectCount: Sendable, Hashable {
    /// The reason: conflict, hardRule, duplicateHash, nearDuplicate, binInfeasible.
    public var reason: String
    /// How many attempts were rejected for it.
    public var count: Int
}

/// What a generation run did.
public struct GenerationSummary: Sendable {
    /// The number of personas written.
    public var count: Int
    /// The seed.
    public var seed: UInt64
    /// The quota plan (integerised targets, fitted table, integer cells, path used).
    public var plan: QuotaPlan
    /// Rejected attempts per reason (fixed reason order).
    public var rejects: [RejectCount]
    /// Non-fatal findings (spec loading, plan, narratives).
    public var warnings: [String]
    /// Narratives written, and narratives that failed (recorded per persona in the file).
    public var narratives: (written: Int, failed: Int) = (0, 0)
}

/// Shared, read-only state of one generation run.
struct GenerationContext: Sendable {
    let program: SamplingProgram
    let plan: QuotaPlan
    let slots: [Int32]
    let depth: [UInt64]
    let encoder: PersonaEncoder
    let hasher: MinHasher
    let tokenTable: [UInt64]
    let cellLabels: [Int: [UInt8]]
    let seed: UInt64
    let maxAttempts: Int

    init(spec: PopulationSpec, count: Int, seed: UInt64) throws(PopulationError) {
        program = try SamplingProgram(spec: spec)
        plan = try program.plan(population: count, seed: seed)
        slots = plan.slotCells(seed: seed)
        depth = program.depthMasks(population: count, seed: seed)
        encoder = PersonaEncoder(taxonomy: spec.taxonomy)
        var stage = RandomStream.stage(seed: seed, 6)
        hasher = MinHasher(bands: spec.dedup.bands, rows: spec.dedup.rows, seed: stage.next())
        tokenTable = encoder.tokenTable(hasher)
        var labels: [Int: [UInt8]] = [:]
        for (cell, count) in plan.cellCounts.enumerated() where count > 0 {
            labels[cell] = Array(CanonicalJSON.string(.string(plan.label(ofCell: cell))).utf8)
        }
        cellLabels = labels
        self.seed = seed
        maxAttempts = spec.maxAttemptsPerSlot
    }
}

/// One slot's accepted candidate, produced by a worker or by the commit phase.
struct SlotCandidate {
    var attempt: Int
    var hash: (UInt64, UInt64)
    var tokens: [UInt32]
    var bandKeys: [UInt64]
    var warnings: [String]
    var rejects: [RejectReason]
    var attributes: [UInt8]
}

/// The per-worker machinery: sampler plus scratch buffers.
struct CandidateMaker {
    let context: GenerationContext
    var sampler: SlotSampler
    var scratch: [UInt8] = []
    var signature: [UInt64]

    init(context: GenerationContext) {
        self.context = context
        sampler = SlotSampler(program: context.program, plan: context.plan, seed: context.seed)
        signature = [UInt64](repeating: 0, count: context.hasher.count)
    }

    /// Samples attempts from `firstAttempt` until one passes the rules; nil when the attempts run out.
    mutating func make(slot: Int, firstAttempt: Int, rejects: inout [RejectReason]) -> SlotCandidate? {
        let cell = Int(context.slots[slot])
        let mask = context.depth.isEmpty ? 0 : context.depth[slot]
        var attempt = firstAttempt
        while attempt < context.maxAttempts {
            if let reason = sampler.sample(slot: slot, cell: cell, attempt: attempt, depthMask: mask) {
                rejects.append(reason)
                attempt += 1
                continue
            }
            let hash = context.encoder.hash(sampler.values, scratch: &scratch)
            var tokens: [UInt32] = []
            context.encoder.tokens(sampler.values, into: &tokens)
            tokens.sort()
            var keys = [UInt64](repeating: 0, count: context.hasher.bands)
            tokens.withUnsafeBufferPointer { tokenBuffer in
                context.tokenTable.withUnsafeBufferPointer { table in
                    context.hasher.signature(tokens: tokenBuffer, table: table, into: &signature)
                }
            }
            context.hasher.bandKeys(signature, into: &keys)
            var attributes: [UInt8] = []
            attributes.reserveCapacity(scratch.count + 64)
            context.encoder.attributesJSON(sampler.values, into: &attributes)
            return SlotCandidate(
                attempt: attempt, hash: hash, tokens: tokens, bandKeys: keys, warnings: sampler.softViolations(),
                rejects: rejects, attributes: attributes)
        }
        return nil
    }
}

/// The sequential commit phase: exact-hash and MinHash-LSH dedup in slot order, lower slot wins.
struct DedupState {
    private var hashes = Set<HashKey>()
    private var index: LSHIndex
    private var tokens: [UInt32] = []
    private var offsets: [Int] = [0]
    /// A 128-bit set sketch per accepted persona: bit (token mix mod 128) for every token. The number of differing
    /// bits never exceeds |A △ B|, so it rules out pairs below the threshold without touching their tokens.
    private var sketches: [UInt64] = []
    let settings: DedupSettings

    static func sketch(_ tokens: [UInt32]) -> (UInt64, UInt64) {
        var high: UInt64 = 0
        var low: UInt64 = 0
        for token in tokens {
            let bit = MinHasher.mix(UInt64(token)) & 127
            if bit < 64 { low |= 1 << bit } else { high |= 1 << (bit - 64) }
        }
        return (high, low)
    }

    struct HashKey: Hashable {
        var high: UInt64
        var low: UInt64
    }

    init(settings: DedupSettings, capacity: Int) {
        self.settings = settings
        index = LSHIndex(bands: settings.bands, capacity: settings.minhash ? capacity : 0)
        hashes.reserveCapacity(capacity)
        if settings.minhash { tokens.reserveCapacity(capacity * 32) }
    }

    /// The reason this candidate duplicates an accepted one, if it does.
    mutating func check(_ candidate: SlotCandidate) -> RejectReason? {
        if hashes.contains(HashKey(high: candidate.hash.0, low: candidate.hash.1)) { return .duplicateHash }
        guard settings.minhash else { return nil }
        var duplicate = false
        let tau = settings.threshold
        let maxDiffering = settings.maxDifferingAttributes
        let tokens = self.tokens
        let offsets = self.offsets
        let sketches = self.sketches
        let mySketch = Self.sketch(candidate.tokens)
        // J >= τ needs |A △ B| <= |A ∩ B|·(1 − τ)/τ <= |A|·(1 − τ)/τ; with maxDifferingAttributes, |A △ B| <= 2·max
        // (a changed set attribute can differ in more tokens, so keep a margin).
        let limit =
            maxDiffering.map { 2 * $0 + 64 }
            ?? Int((Double(candidate.tokens.count) * (1 - tau) / max(tau, 1e-9)).rounded(.down)) + 1
        candidate.tokens.withUnsafeBufferPointer { mine in
            tokens.withUnsafeBufferPointer { all in
                index.forEachCandidate(candidate.bandKeys) { other in
                    let differing =
                        (sketches[2 * other] ^ mySketch.0).nonzeroBitCount
                        + (sketches[2 * other + 1] ^ mySketch.1).nonzeroBitCount
                    if differing > limit { return true }
                    let theirs = UnsafeBufferPointer(rebasing: all[offsets[other]..<offsets[other + 1]])
                    if let maxDiffering {
                        let j = TokenJaccard.jaccard(mine, theirs)
                        let common = j * Double(mine.count + theirs.count) / (1 + j)
                        duplicate = (Double(mine.count + theirs.count) - 2 * common) / 2 <= Double(maxDiffering) + 1e-9
                    } else {
                        duplicate = TokenJaccard.atLeast(mine, theirs, tau)
                    }
                    return !duplicate
                }
            }
        }
        return duplicate ? .nearDuplicate : nil
    }

    mutating func accept(_ candidate: SlotCandidate) {
        hashes.insert(HashKey(high: candidate.hash.0, low: candidate.hash.1))
        guard settings.minhash else { return }
        index.insert(candidate.bandKeys)
        let sketch = Self.sketch(candidate.tokens)
        sketches.append(sketch.0)
        sketches.append(sketch.1)
        tokens.append(contentsOf: candidate.tokens)
        offsets.append(tokens.count)
    }
}

/// The taxonomy-guided persona factory: exact quotas, progressive conditional fill, dedup, JSONL output.
public enum PersonaFactory {
    static let chunkSize = 512

    /// Generates `count` personas for `spec` with `seed` and writes them as JSONL to `out`, in slot order.
    ///
    /// The output depends only on (spec, count, seed): the same bytes for any `workers` and across processes.
    /// With `narratives`, each persona also gets a model-written narrative (see ``NarrativeWriter``); an
    /// interrupted run with narratives continues where it stopped.
    public static func generate(
        spec: PopulationSpec, count: Int? = nil, seed: UInt64? = nil, out: String, workers: Int = 2,
        narratives: NarrativeWriter? = nil, progress: (@Sendable (Int) -> Void)? = nil
    ) async throws(PopulationError) -> GenerationSummary {
        let total = count ?? spec.population
        let seedValue = seed ?? spec.seed
        // Never delete or replace anything but the file named: a folder given as --out is refused.
        var isFolder: ObjCBool = false
        if out.hasSuffix("/")
            || (FileManager.default.fileExists(atPath: out, isDirectory: &isFolder) && isFolder.boolValue)
        {
            throw PopulationError(
                .io,
                "this is a folder; --out takes a file name, e.g. \(out.hasSuffix("/") ? out : out + "/")personas.jsonl",
                file: out)
        }
        if let narratives {
            return try await narratives.generate(
                spec: spec, count: total, seed: seedValue, out: out, workers: workers, progress: progress)
        }
        guard FileManager.default.createFile(atPath: out + ".partial", contents: nil),
            let handle = FileHandle(forWritingAtPath: out + ".partial")
        else {
            throw PopulationError(.io, "cannot create the output file; check the directory", file: out)
        }
        var summary: GenerationSummary
        do throws(PopulationError) {
            summary = try await run(spec: spec, count: total, seed: seedValue, workers: workers, progress: progress) {
                bytes in
                handle.write(Data(bytes))
            }
            try? handle.close()
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: out + ".partial")
            throw error
        }
        // rename(2) replaces a file atomically, and refuses to replace a folder.
        guard rename(out + ".partial", out) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: out + ".partial")
            throw PopulationError(.io, "cannot move the finished file into place (\(reason))", file: out)
        }
        summary.warnings = spec.warnings + summary.warnings
        return summary
    }

    /// Generates personas in memory (same personas as ``generate(spec:count:seed:out:workers:narratives:progress:)``).
    public static func personas(spec: PopulationSpec, count: Int? = nil, seed: UInt64? = nil, workers: Int = 2)
        async throws(PopulationError) -> (personas: [Persona], summary: GenerationSummary)
    {
        var text: [UInt8] = []
        let summary = try await run(
            spec: spec, count: count ?? spec.population, seed: seed ?? spec.seed, workers: workers, progress: nil
        ) { bytes in text += bytes }
        var personas: [Persona] = []
        var number = 0
        for line in text.split(separator: UInt8(ascii: "\n")) {
            number += 1
            personas.append(try Persona(jsonLine: String(decoding: line, as: UTF8.self), lineNumber: number))
        }
        return (personas, summary)
    }

    /// The generation core: workers make candidates per chunk of slots; commits happen in slot order.
    static func run(
        spec: PopulationSpec, count: Int, seed: UInt64, workers: Int, progress: (@Sendable (Int) -> Void)?,
        sink: (inout [UInt8]) -> Void
    ) async throws(PopulationError) -> GenerationSummary {
        let context = try GenerationContext(spec: spec, count: count, seed: seed)
        var dedup = DedupState(settings: spec.dedup, capacity: count)
        var committer = CandidateMaker(context: context)
        var rejectCounts = [Int](repeating: 0, count: RejectReason.allCases.count)
        let chunkCount = (count + chunkSize - 1) / chunkSize
        // Workers make the candidates of a chunk of slots; the commits (dedup, regeneration) run here
        // in slot order, which is what makes the output independent of `workers`.
        try await TaskWindow.ordered(count: chunkCount, width: max(workers, 1) * 2) { chunk throws(PopulationError) in
            var maker = CandidateMaker(context: context)
            let start = chunk * chunkSize
            let end = min(count, start + chunkSize)
            var results: [SlotCandidate?] = []
            results.reserveCapacity(end - start)
            for slot in start..<end {
                var rejects: [RejectReason] = []
                results.append(maker.make(slot: slot, firstAttempt: 0, rejects: &rejects))
            }
            return results
        } receive: { chunk, ready throws(PopulationError) in
            if Task.isCancelled { throw PopulationError(.io, "generation was cancelled") }
            var out: [UInt8] = []
            out.reserveCapacity(ready.count * 512)
            for (offset, candidate) in ready.enumerated() {
                let slot = chunk * chunkSize + offset
                let accepted = try commit(
                    slot: slot, candidate: candidate, context: context, dedup: &dedup, maker: &committer)
                for reason in accepted.rejects {
                    rejectCounts[RejectReason.allCases.firstIndex(of: reason) ?? 0] += 1
                }
                line(slot: slot, candidate: accepted, context: context, into: &out)
            }
            sink(&out)
            progress?(min((chunk + 1) * chunkSize, count))
        }
        if Task.isCancelled { throw PopulationError(.io, "generation was cancelled") }
        return GenerationSummary(
            count: count, seed: seed, plan: context.plan,
            rejects: RejectReason.allCases.enumerated().map {
                RejectCount(reason: $1.rawValue, count: rejectCounts[$0])
            },
            warnings: context.plan.warnings)
    }

    /// Accepts the worker's candidate or regenerates the slot with later attempts until one is unique.
    static func commit(
        slot: Int, candidate: SlotCandidate?, context: GenerationContext, dedup: inout DedupState,
        maker: inout CandidateMaker
    ) throws(PopulationError) -> SlotCandidate {
        var current = candidate
        var rejects = candidate?.rejects ?? []
        while let candidate = current {
            guard let reason = dedup.check(candidate) else {
                dedup.accept(candidate)
                return candidate
            }
            rejects.append(reason)
            current = maker.make(slot: slot, firstAttempt: candidate.attempt + 1, rejects: &rejects)
        }
        let cell = Int(context.slots[slot])
        var reasons: [String] = []
        for reason in RejectReason.allCases {
            let n = rejects.filter { $0 == reason }.count
            if n > 0 { reasons.append("\(reason.rawValue) \(n)") }
        }
        throw PopulationError(
            .cellExhausted,
            "cell \(context.plan.label(ofCell: cell)) has fewer distinct feasible personas than its "
                + "\(context.plan.cellCounts[cell]) slots: slot \(slot) failed \(context.maxAttempts) attempts "
                + "(\(reasons.joined(separator: ", "))); add attributes or values, relax dedup.threshold, or lower the "
                + "targets of this cell",
            file: context.program.spec.file, path: "$.targets")
    }

    static func line(slot: Int, candidate: SlotCandidate, context: GenerationContext, into out: inout [UInt8]) {
        out.append(contentsOf: "{\"id\":\"".utf8)
        out.append(contentsOf: Persona.id(slot: slot).utf8)
        out.append(contentsOf: "\",\"slot\":".utf8)
        out.append(contentsOf: String(slot).utf8)
        out.append(contentsOf: ",\"attempt\":".utf8)
        out.append(contentsOf: String(candidate.attempt).utf8)
        out.append(contentsOf: ",\"cell\":".utf8)
        out.append(contentsOf: context.cellLabels[Int(context.slots[slot])] ?? Array("\"\"".utf8))
        out.append(contentsOf: ",\"attributes\":".utf8)
        out.append(contentsOf: candidate.attributes)
        out.append(contentsOf: ",\"hash\":\"".utf8)
        out.append(contentsOf: PersonaEncoder.hex(candidate.hash).utf8)
        out.append(UInt8(ascii: "\""))
        if !candidate.warnings.isEmpty {
            out.append(contentsOf: ",\"warnings\":[".utf8)
            out.append(
                contentsOf: candidate.warnings.map { CanonicalJSON.string(.string($0)) }.joined(separator: ",").utf8)
            out.append(UInt8(ascii: "]"))
        }
        if !candidate.rejects.isEmpty {
            out.append(contentsOf: ",\"rejects\":[".utf8)
            out.append(contentsOf: candidate.rejects.map { "\"\($0.rawValue)\"" }.joined(separator: ",").utf8)
            out.append(UInt8(ascii: "]"))
        }
        out.append(contentsOf: "}\n".utf8)
    }
}
