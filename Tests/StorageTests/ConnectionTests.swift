import CSQLite
import Foundation
import Storage
import Testing

/// A database file in a fresh temporary directory, removed with its WAL files at the end.
struct TemporaryDatabase: ~Copyable {
    let directory: URL
    var path: String { directory.appendingPathComponent("test.sqlite").path }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("storage-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }
}

struct ExpectedFailure: Error, Equatable {}

@Suite("Connection")
struct ConnectionTests {
    static let values: [SQLValue] = [
        .null,
        .integer(0),
        .integer(.min),
        .integer(.max),
        .real(0.1),
        .real(-1.5e300),
        .real(.leastNonzeroMagnitude),
        .text(""),
        .text("héllo wörld 😀 — ✓"),
        .text("nul\u{0}inside"),
        .blob([]),
        .blob([0, 1, 0, 255, 0]),
        .blob(Array(0...255)),
    ]

    func makeConnection() throws -> Connection {
        let connection = try Connection(.memory)
        try connection.execute("CREATE TABLE item(id INTEGER PRIMARY KEY, value)")
        return connection
    }

    @Test("every SQLValue kind survives an insert and a select unchanged")
    func roundTrip() throws {
        let connection = try makeConnection()
        for value in Self.values {
            try connection.run("INSERT INTO item(value) VALUES (?)", [value])
            let id = connection.lastInsertRowID
            let row = try #require(try connection.queryOne("SELECT value FROM item WHERE id = ?", [.integer(id)]))
            #expect(row["value"] == value)
        }
        let rows = try connection.query("SELECT id, value FROM item ORDER BY id")
        #expect(rows.map { $0["value"] } == Self.values)
        #expect(rows.map(\.columns) == Array(repeating: ["id", "value"], count: Self.values.count))
    }

    @Test("update and delete report changed rows and queryOne returns nil for no match")
    func updateAndDelete() throws {
        let connection = try makeConnection()
        for index in 1...5 {
            try connection.run(
                "INSERT INTO item(id, value) VALUES (?, ?)", [.integer(Int64(index)), .text("v\(index)")])
        }
        #expect(connection.lastInsertRowID == 5)
        try connection.run("UPDATE item SET value = ? WHERE id > ?", [.text("big"), .integer(3)])
        #expect(connection.changes == 2)
        try connection.run("DELETE FROM item WHERE value = ?", ["big"])
        #expect(connection.changes == 2)
        #expect(try connection.queryOne("SELECT * FROM item WHERE id = ?", [4]) == nil)
        #expect(
            try connection.query("SELECT value FROM item ORDER BY id").map { try $0.string("value") } == [
                "v1", "v2", "v3",
            ])
    }

    @Test("typed reads convert or report a type mismatch and a missing column")
    func typedReads() throws {
        let connection = try Connection(.memory)
        let row = try #require(
            try connection.queryOne(
                "SELECT 42 AS i, 2.5 AS r, 'text' AS s, x'00ff' AS b, NULL AS n, 1 AS t, 0 AS f"))
        #expect(try row.int("i") == 42)
        #expect(try row.double("i") == 42)
        #expect(try row.double("r") == 2.5)
        #expect(try row.string("s") == "text")
        #expect(row.optionalString("s") == "text")
        #expect(row.optionalString("n") == nil)
        #expect(row.optionalString("missing") == nil)
        #expect(try row.blob("b") == [0x00, 0xFF])
        #expect(try row.bool("t") == true)
        #expect(try row.bool("f") == false)
        #expect(row["missing"] == .null)
        #expect(row[0] == .integer(42))
        #expect(row[99] == .null)
        let mismatch = #expect(throws: StorageError.self) { try row.int("s") }
        #expect(mismatch?.code == .typeMismatch)
        #expect(mismatch?.message.contains("'s'") == true)
        #expect(throws: StorageError.self) { try row.string("n") }
        let missing = #expect(throws: StorageError.self) { try row.int("nope") }
        #expect(missing?.code == .columnNotFound)
    }

    @Test("a prepared statement can be bound, stepped and reused")
    func preparedStatementReuse() throws {
        let connection = try makeConnection()
        let insert = try connection.prepare("INSERT INTO item(value) VALUES (?)")
        #expect(insert.parameterCount == 1)
        try connection.transaction {
            for index in 0..<100 { try insert.run([.integer(Int64(index))]) }
        }
        let select = try connection.prepare("SELECT value FROM item WHERE value >= ? ORDER BY value")
        #expect(select.columnNames == ["value"])
        #expect(try select.query([98]).map { $0["value"] } == [98, 99])
        try select.bind([97])
        #expect(try select.step()?["value"] == 97)
        select.reset()
        #expect(try select.step()?["value"] == 97)
        #expect(try select.query([99]).count == 1)
    }

    @Test("a syntax error carries SQLite's message and the SQL, never the bound values")
    func syntaxError() throws {
        let connection = try makeConnection()
        let error = #expect(throws: StorageError.self) {
            try connection.run("INSERT INTO item(value) VALUEZ (?)", [.text("secret-value")])
        }
        #expect(error?.code == .sqlError)
        #expect(error?.message.contains("syntax error") == true)
        #expect(error?.sqliteCode.map { $0 & 0xFF } == SQLITE_ERROR)
        #expect(error?.sql == "INSERT INTO item(value) VALUEZ (?)")
        #expect(error?.description.contains("secret-value") == false)
        let missingTable = #expect(throws: StorageError.self) { try connection.query("SELECT * FROM nowhere") }
        #expect(missingTable?.message.contains("no such table: nowhere") == true)
        let script = #expect(throws: StorageError.self) { try connection.execute("CREATE TABLE x(a); SELEC 1") }
        #expect(script?.message.contains("syntax error") == true)
    }

    @Test("the SQL in an error is cut to its first 200 characters")
    func longSQLIsTruncated() throws {
        let connection = try Connection(.memory)
        let sql = "SELECT * FROM missing WHERE " + String(repeating: "a = 1 AND ", count: 50) + "1"
        let error = #expect(throws: StorageError.self) { try connection.query(sql) }
        #expect(error?.sql == String(sql.prefix(200)))
    }

    @Test("constraint violations are reported with SQLite's extended code")
    func constraintViolation() throws {
        let connection = try Connection(.memory)
        try connection.execute(
            """
            CREATE TABLE parent(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
            CREATE TABLE child(id INTEGER PRIMARY KEY, parent INTEGER NOT NULL REFERENCES parent(id));
            """)
        try connection.run("INSERT INTO parent(id, name) VALUES (1, ?)", ["a"])
        let unique = #expect(throws: StorageError.self) {
            try connection.run("INSERT INTO parent(name) VALUES (?)", ["a"])
        }
        #expect(unique?.code == .constraint)
        #expect(unique?.sqliteCode == 2067)  // SQLITE_CONSTRAINT_UNIQUE
        #expect(unique?.sqliteCode.map { $0 & 0xFF } == SQLITE_CONSTRAINT)
        #expect(unique?.message.contains("UNIQUE constraint failed: parent.name") == true)
        let foreignKey = #expect(throws: StorageError.self) {
            try connection.run("INSERT INTO child(parent) VALUES (?)", [99])
        }
        #expect(foreignKey?.code == .constraint)
        #expect(foreignKey?.sqliteCode == 787)  // SQLITE_CONSTRAINT_FOREIGNKEY: foreign keys are on
        let notNull = #expect(throws: StorageError.self) {
            try connection.run("INSERT INTO parent(name) VALUES (NULL)")
        }
        #expect(notNull?.sqliteCode == 1299)  // SQLITE_CONSTRAINT_NOTNULL
    }

    @Test("run refuses several statements and a wrong number of bindings")
    func misuse() throws {
        let connection = try makeConnection()
        let several = #expect(throws: StorageError.self) {
            try connection.run("INSERT INTO item(value) VALUES (1); DROP TABLE item")
        }
        #expect(several?.code == .misuse)
        #expect(try connection.query("SELECT count(*) AS n FROM item").first?.int("n") == 0)
        try connection.run("INSERT INTO item(value) VALUES (1); -- trailing comment\n ;  ")
        let bindings = #expect(throws: StorageError.self) {
            try connection.run("INSERT INTO item(value) VALUES (?)", [1, 2])
        }
        #expect(bindings?.code == .misuse)
        #expect(throws: StorageError.self) { try connection.run("INSERT INTO item(value) VALUES (?)") }
    }

    @Test("a thrown error rolls the transaction back and is rethrown unchanged")
    func transactionRollback() throws {
        let connection = try makeConnection()
        #expect(throws: ExpectedFailure()) {
            try connection.transaction {
                try connection.run("INSERT INTO item(value) VALUES (1)")
                #expect(connection.isInTransaction)
                throw ExpectedFailure()
            }
        }
        #expect(!connection.isInTransaction)
        #expect(try connection.query("SELECT * FROM item").isEmpty)
        let value = try connection.transaction {
            try connection.run("INSERT INTO item(value) VALUES (2)")
            return 7
        }
        #expect(value == 7)
        #expect(try connection.query("SELECT value FROM item").map { $0["value"] } == [2])
    }

    @Test("a transaction inside a transaction nests as a savepoint")
    func nestedTransaction() throws {
        let connection = try makeConnection()
        try connection.transaction {
            try connection.run("INSERT INTO item(value) VALUES ('outer')")
            try? connection.transaction {
                try connection.run("INSERT INTO item(value) VALUES ('inner')")
                throw ExpectedFailure()
            }
            try connection.transaction {
                try connection.run("INSERT INTO item(value) VALUES ('second')")
            }
        }
        #expect(try connection.query("SELECT value FROM item ORDER BY id").map { $0["value"] } == ["outer", "second"])
    }

    @Test("rolling back an inner savepoint keeps the outer savepoint's work")
    func savepoints() throws {
        let connection = try makeConnection()
        let result = try connection.savepoint("outer") {
            try connection.run("INSERT INTO item(value) VALUES ('a')")
            #expect(throws: ExpectedFailure()) {
                try connection.savepoint("call_1") {
                    try connection.run("INSERT INTO item(value) VALUES ('b')")
                    try connection.savepoint("call_1_deeper") {
                        try connection.run("INSERT INTO item(value) VALUES ('c')")
                    }
                    throw ExpectedFailure()
                }
            }
            try connection.savepoint("call_2") {
                try connection.run("INSERT INTO item(value) VALUES ('d')")
            }
            return "done"
        }
        #expect(result == "done")
        #expect(!connection.isInTransaction)
        #expect(try connection.query("SELECT value FROM item ORDER BY id").map { $0["value"] } == ["a", "d"])
    }

    @Test("an outer savepoint rollback also undoes released inner savepoints")
    func outerSavepointRollback() throws {
        let connection = try makeConnection()
        try? connection.savepoint("outer") {
            try connection.savepoint("inner") { try connection.run("INSERT INTO item(value) VALUES (1)") }
            throw ExpectedFailure()
        }
        #expect(try connection.query("SELECT * FROM item").isEmpty)
    }

    @Test(
        "savepoint names that are not identifiers are refused before any SQL runs",
        arguments: ["", "1abc", "a b", "x\"; DROP TABLE item; --", "naïve", "a-b"])
    func invalidSavepointNames(name: String) throws {
        let connection = try makeConnection()
        let error = #expect(throws: StorageError.self) { try connection.savepoint(name) {} }
        #expect(error?.code == .invalidName)
        #expect(try connection.query("SELECT * FROM item").isEmpty)
    }

    @Test("migrations run once in version order and re-applying them does nothing")
    func migrations() throws {
        let database = try TemporaryDatabase()
        let migrations = [
            Migration(
                version: 2, sql: "ALTER TABLE note ADD COLUMN author TEXT; INSERT INTO note(body) VALUES ('v2');"),
            Migration(version: 1, sql: "CREATE TABLE note(id INTEGER PRIMARY KEY, body TEXT NOT NULL);"),
        ]
        do {
            let connection = try Connection(.file(database.path))
            #expect(try connection.userVersion() == 0)
            try connection.migrate(migrations)
            #expect(try connection.userVersion() == 2)
            try connection.migrate(migrations)
            #expect(try connection.query("SELECT * FROM note").count == 1)
        }
        let reopened = try Connection(.file(database.path))
        try reopened.migrate(migrations)
        #expect(try reopened.query("SELECT * FROM note").count == 1)
        try reopened.migrate(migrations + [Migration(version: 3, sql: "INSERT INTO note(body) VALUES ('v3')")])
        #expect(try reopened.userVersion() == 3)
        #expect(try reopened.query("SELECT body FROM note ORDER BY id").map { $0["body"] } == ["v2", "v3"])
    }

    @Test("a database newer than the known migrations is refused")
    func schemaTooNew() throws {
        let connection = try Connection(.memory)
        try connection.execute("PRAGMA user_version = 5")
        let error = #expect(throws: StorageError.self) {
            try connection.migrate([Migration(version: 1, sql: "CREATE TABLE a(x)")])
        }
        #expect(error?.code == .schemaTooNew)
        #expect(error?.message.contains("5") == true)
        #expect(try connection.userVersion() == 5)
    }

    @Test("a failing migration leaves the schema and version as they were")
    func failingMigration() throws {
        let connection = try Connection(.memory)
        try connection.migrate([Migration(version: 1, sql: "CREATE TABLE a(x)")])
        let error = #expect(throws: StorageError.self) {
            try connection.migrate([
                Migration(version: 1, sql: "CREATE TABLE a(x)"),
                Migration(version: 2, sql: "CREATE TABLE b(y); INSERT INTO nowhere VALUES (1);"),
            ])
        }
        #expect(error?.code == .migrationFailed)
        #expect(error?.message.contains("version 2") == true)
        #expect(error?.message.contains("no such table: nowhere") == true)
        #expect(try connection.userVersion() == 1)
        #expect(try connection.query("SELECT name FROM sqlite_master WHERE name = 'b'").isEmpty)
        let duplicate = #expect(throws: StorageError.self) {
            try connection.migrate([Migration(version: 1, sql: ""), Migration(version: 1, sql: "")])
        }
        #expect(duplicate?.code == .migrationFailed)
    }

    @Test("a file database uses WAL, foreign keys and a 5 second busy timeout")
    func fileSettings() throws {
        let database = try TemporaryDatabase()
        let connection = try Connection(.file(database.path))
        #expect(try connection.queryOne("PRAGMA journal_mode")?.string("journal_mode") == "wal")
        #expect(try connection.queryOne("PRAGMA foreign_keys")?.int("foreign_keys") == 1)
        #expect(try connection.queryOne("PRAGMA busy_timeout")?["timeout"] == 5000)
        #expect(FileManager.default.fileExists(atPath: database.path))
    }

    @Test("a read-only connection reads but refuses writes")
    func readOnly() throws {
        let database = try TemporaryDatabase()
        let writer = try Connection(.file(database.path))
        try writer.execute("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
        let reader = try Connection(.file(database.path), readOnly: true)
        #expect(try reader.query("SELECT x FROM t").map { $0["x"] } == [1])
        let error = #expect(throws: StorageError.self) { try reader.run("INSERT INTO t VALUES (2)") }
        #expect(error?.code == .readOnly)
    }

    @Test("opening a path in a missing directory fails with openFailed")
    func openFailure() {
        let error = #expect(throws: StorageError.self) {
            try Connection(.file("/nonexistent-\(UUID().uuidString)/db.sqlite"))
        }
        #expect(error?.code == .openFailed)
    }

    @Test("backup copies the whole database into another connection")
    func backup() throws {
        let source = try makeConnection()
        for value in Self.values { try source.run("INSERT INTO item(value) VALUES (?)", [value]) }
        let memoryCopy = try Connection(.memory)
        try memoryCopy.execute("CREATE TABLE junk(x)")
        try source.backup(to: memoryCopy)
        #expect(try memoryCopy.query("SELECT value FROM item ORDER BY id").map { $0["value"] } == Self.values)
        #expect(try memoryCopy.query("SELECT name FROM sqlite_master WHERE name = 'junk'").isEmpty)

        let file = try TemporaryDatabase()
        let fileCopy = try Connection(.file(file.path))
        try source.backup(to: fileCopy)
        let reread = try Connection(.file(file.path))
        #expect(try reread.query("SELECT count(*) AS n FROM item").first?.int("n") == Int64(Self.values.count))
    }
}
