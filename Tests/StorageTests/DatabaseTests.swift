import Foundation
import Testing

@testable import Storage

@Suite("Database")
struct DatabaseTests {
    static let schema = [
        Migration(version: 1, sql: "CREATE TABLE event(id INTEGER PRIMARY KEY, task INTEGER, n INTEGER)")
    ]

    @Test("50 concurrent tasks writing through the actor lose no writes")
    func concurrentWrites() async throws {
        let file = try TemporaryDatabase()
        let database = try Database(.file(file.path), migrations: Self.schema)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<50 {
                group.addTask {
                    for n in 0..<20 {
                        try await database.write {
                            try $0.run(
                                "INSERT INTO event(task, n) VALUES (?, ?)", [.integer(Int64(task)), .integer(Int64(n))])
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let count = try await database.read { try $0.queryOne("SELECT count(*) AS c FROM event")?.int("c") }
        #expect(count == 1000)
        let perTask = try await database.read {
            try $0.query("SELECT task, count(*) AS c FROM event GROUP BY task ORDER BY task").map { try $0.int("c") }
        }
        #expect(perTask == Array(repeating: 20, count: 50))
    }

    @Test("a write that throws is rolled back")
    func writeRollsBack() async throws {
        let database = try Database(.memory, migrations: Self.schema)
        await #expect(throws: ExpectedFailure()) {
            try await database.write { connection -> Int in
                try connection.run("INSERT INTO event(task, n) VALUES (1, 1)")
                throw ExpectedFailure()
            }
        }
        let count = try await database.read { try $0.queryOne("SELECT count(*) AS c FROM event")?.int("c") }
        #expect(count == 0)
    }

    @Test("SQLite work runs on the actor's private queue, never on the cooperative pool")
    func runsOnPrivateQueue() async throws {
        let database = try Database(.memory)
        #expect(!DispatchQueueExecutor.isOnExecutorQueue)
        let onQueue = try await database.read { _ in DispatchQueueExecutor.isOnExecutorQueue }
        #expect(onQueue)
        let onQueueInWrite = try await database.write { _ in DispatchQueueExecutor.isOnExecutorQueue }
        #expect(onQueueInWrite)
    }

    @Test("opening applies migrations and refuses a newer schema")
    func migrationsOnOpen() async throws {
        let file = try TemporaryDatabase()
        do {
            let database = try Database(.file(file.path), migrations: Self.schema)
            let version = try await database.read { try $0.userVersion() }
            #expect(version == 1)
        }
        // Without migrations, opening never checks the version.
        let unchecked = try Database(.file(file.path))
        #expect(try await unchecked.read { try $0.userVersion() } == 1)
        let newer = try Connection(.file(file.path))
        try newer.execute("PRAGMA user_version = 9")
        let tooNew = #expect(throws: StorageError.self) { try Database(.file(file.path), migrations: Self.schema) }
        #expect(tooNew?.code == .schemaTooNew)
    }
}
