import Foundation
import Storage
import Testing

@testable import Inference

@Suite("Response cache checkpoints", .timeLimit(.minutes(1)))
struct CacheCheckpointTests {
    /// Stores `count` distinct answers of about 2 KB each, one at a time.
    static func fill(_ cache: ResponseCache, from start: Int, count: Int) async throws {
        let padding = String(repeating: "x", count: 2_000)
        for i in start..<(start + count) {
            try await cache.store(
                ChatResponse(content: "answer \(i) \(padding)"), key: "key-\(i)", requestText: "{}", model: "m")
        }
    }

    static func waitForCheckpoint(_ cache: ResponseCache) async throws {
        while cache.isCheckpointing { try await Task.sleep(for: .milliseconds(5)) }
    }

    @Test("background checkpoints keep the log bounded; every answer stays readable, also after reopening")
    func boundedLog() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("agora-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("cache.sqlite").path
        func walBytes() throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        }

        // Without checkpoints (as often as never) the log holds every answer.
        let never = directory.appendingPathComponent("never.sqlite").path
        let unbounded = try ResponseCache(.file(never), checkpointEvery: Int.max)
        try await Self.fill(unbounded, from: 0, count: 200)
        let unboundedWAL =
            (try FileManager.default.attributesOfItem(atPath: never + "-wal")[.size] as? Int) ?? 0
        #expect(unboundedWAL > 200 * 2_000)

        let cache = try ResponseCache(.file(path), checkpointEvery: 20)
        for batch in 0..<10 {
            try await Self.fill(cache, from: batch * 20, count: 20)
            try await Self.waitForCheckpoint(cache)
        }
        // The log is reused from its start after each checkpoint: far smaller than all answers.
        #expect(try walBytes() < unboundedWAL / 3)
        #expect(try await cache.count() == 200)
        #expect(try await cache.lookup("key-0")?.content.hasPrefix("answer 0 ") == true)
        #expect(try await cache.lookup("key-199")?.content.hasPrefix("answer 199 ") == true)
        let reopened = try ResponseCache(.file(path))
        #expect(try await reopened.count() == 200)
    }
}
