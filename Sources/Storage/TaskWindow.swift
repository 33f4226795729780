/// A bounded sliding window of child tasks: the one place Agora starts `width` children and adds
/// one per completion (STYLE.md rule 5). Runs, worlds, the population factory, the narrative writer
/// and the benchmarks all use it.
///
/// The window throws what its closures throw, typed: non-throwing closures make a non-throwing
/// window, closures that throw `PopulationError` make a window that throws `PopulationError`. When
/// the error type is neither `Never` nor `any Error`, write it on both closures
/// (`{ i throws(PopulationError) in … } receive: { i, value throws(PopulationError) in … }`): Swift
/// infers a closure that throws nothing as `throws(Never)`, which would not match the other one.
/// Cancelling the calling task cancels the running children as usual; the window still receives
/// what they return, so a `receive` that must stop on cancellation checks `Task.isCancelled` and
/// throws.
public enum TaskWindow {
    /// Runs `body(i)` for every `i` in `0..<count`, at most `width` at once, and hands each result to
    /// `receive` on the calling task in completion order. The window is topped up before `receive`
    /// runs, so a slow `receive` (a commit) never holds a slot.
    ///
    /// The first error thrown by a child or by `receive` cancels the rest and is rethrown once they
    /// have finished.
    public static func run<T: Sendable, Failure: Error>(
        count: Int, width: Int, _ body: @escaping @Sendable (Int) async throws(Failure) -> T,
        receive: (Int, T) async throws(Failure) -> Void
    ) async throws(Failure) {
        guard count > 0 else { return }
        // A plain task group of Results keeps the error's type (a throwing group would erase it).
        let failure = await withTaskGroup(of: (Int, Result<T, Failure>).self, returning: Failure?.self) { group in
            var started = 0
            func add() {
                let i = started
                started += 1
                group.addTask {
                    do throws(Failure) {
                        return (i, .success(try await body(i)))
                    } catch {
                        return (i, .failure(error))
                    }
                }
            }
            while started < min(max(1, width), count) { add() }
            while let (i, result) = await group.next() {
                switch result {
                case .failure(let error):
                    group.cancelAll()
                    return error
                case .success(let value):
                    if started < count { add() }
                    do throws(Failure) {
                        try await receive(i, value)
                    } catch {
                        group.cancelAll()
                        return error
                    }
                }
            }
            return nil
        }
        if let failure { throw failure }
    }

    /// Like ``run(count:width:_:receive:)``, but `receive` sees the results in index order (each
    /// result waits until every earlier one has been received).
    public static func ordered<T: Sendable, Failure: Error>(
        count: Int, width: Int, _ body: @escaping @Sendable (Int) async throws(Failure) -> T,
        receive: (Int, T) async throws(Failure) -> Void
    ) async throws(Failure) {
        var pending: [Int: T] = [:]
        var next = 0
        try await run(count: count, width: width, body) { (i: Int, value: T) async throws(Failure) in
            pending[i] = value
            while let ready = pending.removeValue(forKey: next) {
                try await receive(next, ready)
                next += 1
            }
        }
    }

    /// Runs `body(i)` for every `i` in `0..<count`, at most `width` at once; the results in index order.
    public static func map<T: Sendable, Failure: Error>(
        count: Int, width: Int, _ body: @escaping @Sendable (Int) async throws(Failure) -> T
    ) async throws(Failure) -> [T] {
        var results: [T] = []
        results.reserveCapacity(count)
        try await ordered(count: count, width: width, body) { (_: Int, value: T) async throws(Failure) in
            results.append(value)
        }
        return results
    }
}
