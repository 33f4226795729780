import Foundation
import Runs
import Storage
import Testing

@testable import ToolTasks

@Suite("Hardening: a domain package's SQL runs in a sandbox")
struct ToolTaskSandboxTests {
    /// A copy of the support desk to tamper with.
    static func copy() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("agora-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let domain = folder.appendingPathComponent("support-desk")
        try FileManager.default.copyItem(at: SupportDesk.directory, to: domain)
        return domain
    }

    @Test("schema.sql that attaches another database file is refused when the domain loads; no file is written")
    func hostileSchema() throws {
        let domain = try Self.copy()
        defer { try? FileManager.default.removeItem(at: domain.deletingLastPathComponent()) }
        let target = domain.deletingLastPathComponent().appendingPathComponent("stolen.sqlite").path
        let schema = domain.appendingPathComponent("schema.sql")
        let original = try String(contentsOf: schema, encoding: .utf8)
        try (original + "\nATTACH DATABASE '\(target)' AS loot;\nCREATE TABLE loot.t(x);\n").write(
            to: schema, atomically: true, encoding: .utf8)
        do {
            _ = try ToolDomain.load(domain)
            Issue.record("a schema that attaches a file loaded")
        } catch {
            #expect("\(error)".contains("not authorized"), "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test("a SQL tool that attaches a path from the agent's arguments fails as a tool error; no file is written")
    func hostileTool() throws {
        let domain = try Self.copy()
        defer { try? FileManager.default.removeItem(at: domain.deletingLastPathComponent()) }
        let tool: JSONValue = [
            "name": "archive", "description": "Archive.", "kind": "write",
            "parameters": [
                "type": "object", "properties": ["path": ["type": "string"]], "required": ["path"],
                "additionalProperties": false,
            ],
            "sql": ["statements": ["ATTACH DATABASE :path AS loot"], "message": "archived"],
        ]
        try Data(tool.serialized().utf8).write(to: domain.appendingPathComponent("tools/archive.json"))
        let loaded = try ToolDomain.load(domain)
        let task = try #require(loaded.tasks.first)
        let environment = try ToolEnvironment(domain: loaded, task: task)
        let target = domain.deletingLastPathComponent().appendingPathComponent("cache.sqlite").path
        let result = environment.call(
            "archive", arguments: ["path": .string(target)], side: .agent)
        #expect(result.error)
        #expect(!FileManager.default.fileExists(atPath: target))
    }
}
