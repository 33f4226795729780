/// One shard of a run split over several processes (`agora run --shard I/N`).
///
/// The partition is by the unit's stable index in the plan: unit `i` belongs to shard `i mod N`.
/// It depends only on the plan (which is a pure function of the scenario and its seed), never on
/// timing or on the other shards, so every shard agrees on it without talking to the others, and
/// interleaving spreads slow and fast units (a plan lists a task's trials together) evenly.
public struct RunShard: Sendable, Hashable, CustomStringConvertible {
    /// This shard's index, 0-based (`I`).
    public let index: Int
    /// How many shards the run is split into (`N`).
    public let count: Int

    /// Creates shard `index` of `count`; `nil` unless `0 <= index < count`.
    public init?(index: Int, count: Int) {
        guard count >= 1, index >= 0, index < count else { return nil }
        self.index = index
        self.count = count
    }

    /// Whether the unit with this stable index belongs to the shard.
    public func contains(_ unit: Int) -> Bool { unit % count == index }

    /// How many of `total` units (indices `0..<total`) belong to the shard.
    public func unitCount(of total: Int) -> Int {
        total > index ? (total - index + count - 1) / count : 0
    }

    /// `I/N`, as given on the command line and stored in the manifest (key `shard`).
    public var description: String { "\(index)/\(count)" }

    /// The suffix of the shard's run folder: `shard-I-of-N`.
    public var folderSuffix: String { "shard-\(index)-of-\(count)" }

    /// Reads `I/N` (both decimal, `0 <= I < N`); `nil` when it is not that.
    public static func parse(_ text: String) -> RunShard? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Self.decimal(parts[0]), let n = Self.decimal(parts[1]) else { return nil }
        return RunShard(index: i, count: n)
    }

    /// The environment variables `--shard auto/N` reads the index from, in order: Kubernetes
    /// Indexed Jobs set `JOB_COMPLETION_INDEX` (0-based), Slurm job arrays `SLURM_ARRAY_TASK_ID`
    /// (0-based when the array is submitted as `--array=0-(N-1)`).
    public static let environmentKeys = ["JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID"]

    /// Reads `--shard`: `I/N`, or `auto/N` with the index from the scheduler's environment
    /// (``environmentKeys``).
    ///
    /// - Throws: ``RunError`` (`invalidInput`, exit 2) naming the bad value and the fix.
    public static func resolve(_ text: String, environment: [String: String]) throws(RunError) -> RunShard {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let n = decimal(parts[1]), n >= 1 else {
            throw RunError(
                .invalidInput,
                "--shard \(text): expected I/N or auto/N with N a whole number ≥ 1 (e.g. --shard 0/4 or --shard auto/4)"
            )
        }
        if parts[0] == "auto" {
            guard let key = environmentKeys.first(where: { !(environment[$0] ?? "").isEmpty }),
                let value = environment[key]
            else {
                throw RunError(
                    .invalidInput,
                    "--shard auto/\(n): neither JOB_COMPLETION_INDEX (Kubernetes Indexed Job) nor SLURM_ARRAY_TASK_ID (Slurm job array) is set; run it as a scheduler's indexed task or give the index: --shard I/\(n)"
                )
            }
            guard let i = decimal(Substring(value.trimmingSpaces)) else {
                throw RunError(
                    .invalidInput, "--shard auto/\(n): \(key)=\(value) is not a whole number ≥ 0", path: key)
            }
            guard let shard = RunShard(index: i, count: n) else {
                throw RunError(
                    .invalidInput,
                    "--shard auto/\(n): \(key)=\(i) is outside 0…\(n - 1); the job must have exactly \(n) indices, 0-based (Kubernetes completions: \(n); Slurm: --array=0-\(n - 1))",
                    path: key)
            }
            return shard
        }
        guard let i = decimal(parts[0]) else {
            throw RunError(
                .invalidInput,
                "--shard \(text): the index \(parts[0]) is not a whole number ≥ 0 (or auto); e.g. --shard 0/\(n)")
        }
        guard let shard = RunShard(index: i, count: n) else {
            throw RunError(
                .invalidInput, "--shard \(text): the index must be in 0…\(n - 1) (shards are numbered from 0)")
        }
        return shard
    }

    private static func decimal(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 9, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(text)
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\n" || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\n" || s.last == "\t" { s.removeLast() }
        return String(s)
    }
}
