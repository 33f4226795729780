import Foundation
import Storage
import Synchronization
import Testing

@Suite("TaskWindow", .timeLimit(.minutes(1)))
struct TaskWindowTests {
    enum Failure: Error, Equatable {
        case child(Int)
        case receive(Int)
    }

    /// A value behind a lock that escaping closures can share (a `Mutex` itself cannot be captured).
    final class Shared<Value: Sendable>: Sendable {
        let mutex: Mutex<Value>
        init(_ value: Value) { mutex = Mutex(value) }
        func withLock<R>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
    }

    /// Children that finish in a given order: child `i` returns once every child before it in `order`
    /// has returned, so completion order does not depend on timing.
    final class Turns: Sendable {
        let order: [Int]
        let finished = Shared<[Int]>([])

        init(_ order: [Int]) { self.order = order }

        func finish(_ index: Int) async -> Int {
            while finished.withLock({ $0.count < order.count && order[$0.count] != index }) {
                try? await Task.sleep(for: .milliseconds(1))
            }
            finished.withLock { $0.append(index) }
            return index
        }
    }

    @Test("never more than `width` children run at once, and every index runs once")
    func boundedInFlight() async {
        let counters = Shared((running: 0, peak: 0))
        let results = await TaskWindow.map(count: 24, width: 3) { index in
            counters.withLock {
                $0.running += 1
                $0.peak = max($0.peak, $0.running)
            }
            try? await Task.sleep(for: .milliseconds(5))
            counters.withLock { $0.running -= 1 }
            return index * index
        }
        #expect(results == (0..<24).map { $0 * $0 })
        let peak = counters.withLock { $0.peak }
        #expect(peak <= 3)
        #expect(peak > 1)
    }

    @Test("run receives in completion order, ordered and map in index order")
    func orders() async {
        let order = [2, 0, 3, 1]
        let turns = Turns(order)
        var received: [Int] = []
        await TaskWindow.run(count: 4, width: 4) {
            await turns.finish($0)
        } receive: { index, value in
            #expect(index == value)
            received.append(index)
        }
        #expect(received == order)

        let later = Turns(order)
        var inOrder: [Int] = []
        await TaskWindow.ordered(count: 4, width: 4) {
            await later.finish($0)
        } receive: { index, _ in
            inOrder.append(index)
        }
        #expect(later.finished.withLock { $0 } == order)
        #expect(inOrder == [0, 1, 2, 3])
        let mapped = Turns(order)
        #expect(await TaskWindow.map(count: 4, width: 4) { await mapped.finish($0) } == [0, 1, 2, 3])
        #expect(await TaskWindow.map(count: 0, width: 4) { $0 }.isEmpty)
    }

    @Test("a child's error is rethrown typed, the running children are cancelled and no new one starts")
    func childError() async {
        let started = Shared(0)
        let cancelled = Shared(0)
        let clock = ContinuousClock()
        let start = clock.now
        let body: @Sendable (Int) async throws(Failure) -> Int = { index throws(Failure) in
            started.withLock { $0 += 1 }
            if index == 0 {
                try? await Task.sleep(for: .milliseconds(20))
                throw Failure.child(0)
            }
            do {
                try await Task.sleep(for: .seconds(20))
            } catch {
                cancelled.withLock { $0 += 1 }
            }
            return index
        }
        await #expect(throws: Failure.child(0)) {
            try await TaskWindow.run(count: 10, width: 3, body) { _, _ throws(Failure) in }
        }
        #expect(clock.now - start < .seconds(10))
        #expect(started.withLock { $0 } == 3)
        #expect(cancelled.withLock { $0 } == 2)
    }

    @Test("an error thrown by receive is rethrown and cancels the rest")
    func receiveError() async {
        let cancelled = Shared(0)
        let turns = Turns([1, 0, 2])
        await #expect(throws: Failure.receive(1)) {
            try await TaskWindow.run(count: 3, width: 3) { index throws(Failure) in
                if index == 2 {
                    do {
                        try await Task.sleep(for: .seconds(20))
                    } catch {
                        cancelled.withLock { $0 += 1 }
                    }
                    return index
                }
                return await turns.finish(index)
            } receive: { index, _ throws(Failure) in
                throw .receive(index)
            }
        }
        #expect(cancelled.withLock { $0 } == 1)
    }

    @Test("cancelling the caller cancels the children; what they return is still received")
    func callerCancellation() async {
        let task = Task {
            await TaskWindow.map(count: 6, width: 2) { _ in
                do {
                    try await Task.sleep(for: .seconds(20))
                    return "slept"
                } catch {
                    return "cancelled"
                }
            }
        }
        try? await Task.sleep(for: .milliseconds(50))
        task.cancel()
        #expect(await task.value == Array(repeating: "cancelled", count: 6))
    }
}
