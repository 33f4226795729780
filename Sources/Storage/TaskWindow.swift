/// A bounded sliding window of child tasks: the one place Agora starts `width` children and adds
/// one per completion (STYLE.md rule 5). Runs, worlds, the population factory, the narrative writer
/// and the benchmarks all use it.
public enum TaskWindow {
    /// Runs `body(i)` for every `i` in `0..<count`, at most `width` at once, and hands each result to
    /// `receive` on the calling task in completion order. The window is topped up before `receive`
    /// runs, so a slow `receive` (a commit) never holds a slot.
    ///
    /// The first error thrown by a child or by `receive` cancels the rest and is rethrown.
    public static func run<T: Sendable>(
        count: Int, width: Int, _ body: @escaping @Sendable (Int) async throws -> T,
        receive: (Int, T) async throws -> Void
    ) async throws {
        guard count > 0 else { return }
        try await withThrowingTaskGroup(of: (Int, T).self) { group in
            var started = 0
            func add() {
                let i = started
                started += 1
                group.addTask { (i, try await body(i)) }
            }
            while started < min(max(1, width), count) { add() }
            while let (i, value) = try await group.next() {
                if started < count { add() }
                try await receive(i, value)
            }
        }
    }

    /// Like ``run(count:width:_:receive:)``, but `receive` sees the results in index order (each
    /// result waits until every earlier one has been received).
    public static func ordered<T: Sendable>(
        count: Int, width: Int, _ body: @escaping @Sendable (Int) async throws -> T,
        receive: (Int, T) async throws -> Void
    ) async throws {
        var pending: [Int: T] = [:]
        var next = 0
        try await run(count: count, width: width, body) { i, value in
            pending[i] = value
            while let ready = pending.removeValue(forKey: next) {
                try await receive(next, ready)
                next += 1
            }
        }
    }

    /// Runs `body(i)` for every `i` in `0..<count`, at most `width` at once; the results in index order.
    public static func map<T: Sendable>(
        count: Int, width: Int, _ body: @escaping @Sendable (Int) async throws -> T
    ) async throws -> [T] {
        var results: [T] = []
        results.reserveCapacity(count)
        try await ordered(count: count, width: width, body) { _, value in results.append(value) }
        return results
    }
}
