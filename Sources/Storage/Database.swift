import Dispatch

/// An actor that owns a ``Connection`` and runs every access on its own serial dispatch queue.
///
/// SQLite calls block their thread (disk I/O, busy waits up to 5 s). Running them on the
/// 2-thread cooperative pool would stall every other task, so this actor's executor is a private
/// serial `DispatchQueue` (GRDB's design): callers `await` and the pool stays free.
///
/// ```swift
/// let database = try Database(.file(path), migrations: [Migration(version: 1, sql: "CREATE TABLE …")])
/// try await database.write { try $0.run("INSERT INTO event(body) VALUES (?)", [.text(body)]) }
/// let count = try await database.read { try $0.queryOne("SELECT count(*) AS n FROM event")?.int("n") }
/// ```
public actor Database {
    private let executor: DispatchQueueExecutor
    private let connection: Connection

    /// Runs the actor's jobs on its private queue.
    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    /// Opens the database, runs `pragmas` (per-connection settings such as
    /// `PRAGMA wal_autocheckpoint = N`) and applies `migrations` (see ``Connection/migrate(_:)``).
    ///
    /// Opening and migrating run on the caller's thread, once; every later access runs on the queue.
    public init(_ location: Connection.Location, migrations: [Migration] = [], pragmas: [String] = [])
        throws(StorageError)
    {
        let connection = try Connection(location)
        for pragma in pragmas { try connection.execute(pragma) }
        try connection.migrate(migrations)
        self.connection = connection
        executor = DispatchQueueExecutor(label: "agora.storage.database")
    }

    /// Runs `body` with the connection, without opening a transaction.
    public func read<T: Sendable>(_ body: (Connection) throws -> T) throws -> T {
        try body(connection)
    }

    /// Runs `body` with the connection inside a transaction (``Connection/transaction(_:)``):
    /// committed if it returns, rolled back if it throws.
    public func write<T: Sendable>(_ body: (Connection) throws -> T) throws -> T {
        try connection.transaction { try body(connection) }
    }
}

/// A serial executor that runs jobs on a private `DispatchQueue`.
///
/// `DispatchSerialQueue`, which is an executor on Apple platforms, does not exist in Linux's
/// libdispatch (checked with Swift 6.3.1), so this small wrapper does the same job everywhere.
final class DispatchQueueExecutor: SerialExecutor {
    let queue: DispatchQueue

    /// Set on every executor's queue, so tests can check where a job runs.
    static let marker = DispatchSpecificKey<Bool>()

    init(label: String) {
        queue = DispatchQueue(label: label)
        queue.setSpecific(key: Self.marker, value: true)
    }

    /// Whether the caller runs on some ``DispatchQueueExecutor``'s queue (not on the cooperative pool).
    static var isOnExecutorQueue: Bool {
        DispatchQueue.getSpecific(key: marker) ?? false
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async {
            job.runSynchronously(on: executor)
        }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    func checkIsolated() {
        dispatchPrecondition(condition: .onQueue(queue))
    }
}
