import Foundation
import Storage
import Testing

@Suite("Hardening: the SQL sandbox for untrusted domain SQL")
struct SQLSandboxTests {
    static func sandboxed(_ policy: SQLSandbox) throws -> Connection {
        let connection = try Connection(.memory)
        try connection.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, doc TEXT)")
        try connection.sandbox(policy)
        return connection
    }

    @Test(
        "denied in data mode: attaching files, writing pragmas, schema changes, unlisted functions",
        arguments: [
            "ATTACH DATABASE '/tmp/agora-sandbox-attack.sqlite' AS x", "DETACH DATABASE main",
            "PRAGMA writable_schema = 1", "PRAGMA journal_mode = DELETE", "PRAGMA user_version = 7",
            "CREATE TABLE u(x)", "DROP TABLE t", "ALTER TABLE t ADD COLUMN y", "CREATE TEMP TABLE v(x)",
            "CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM t; END", "SELECT load_extension('x')",
            "SELECT random()", "SELECT randomblob(8)", "CREATE VIRTUAL TABLE f USING fts5(x)",
        ])
    func denied(sql: String) throws {
        let connection = try Self.sandboxed(.data)
        #expect(throws: StorageError.self, "\(sql)") { try connection.execute(sql) }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/agora-sandbox-attack.sqlite"))
    }

    @Test("allowed in data mode: rows, transactions, read-only pragmas and the listed functions")
    func allowed() throws {
        let connection = try Self.sandboxed(.data)
        try connection.run("INSERT INTO t(doc) VALUES (json_object('a', ?))", [.integer(1)])
        try connection.transaction { try connection.run("UPDATE t SET doc = json_set(doc, '$.a', 2)") }
        #expect(try connection.queryOne("SELECT json_extract(doc, '$.a') AS a FROM t")?.int("a") == 2)
        #expect(try connection.query("PRAGMA table_info(t)").count == 2)
        #expect(try connection.queryOne("PRAGMA user_version")?.int("user_version") == 0)
        #expect(
            try connection.queryOne("SELECT upper(trim(' x ')) || date('2024-01-02') AS v")?.string("v")
                == "X2024-01-02")
    }

    @Test("schema mode allows the schema's own statements, never an attached file")
    func schemaMode() throws {
        let connection = try Self.sandboxed(.schema)
        try connection.execute("CREATE TABLE u(x); CREATE INDEX ux ON u(x); CREATE VIEW w AS SELECT * FROM u")
        #expect(throws: StorageError.self) {
            try connection.execute("ATTACH DATABASE '/tmp/agora-sandbox-attack.sqlite' AS x")
        }
        #expect(throws: StorageError.self) { try connection.execute("PRAGMA writable_schema = ON") }
    }
}
