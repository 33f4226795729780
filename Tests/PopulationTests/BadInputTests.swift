import Foundation
import Storage
import Testing

@testable import Population

@Suite("Bad input names file, path and reason")
struct BadInputTests {
    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pop-bad-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func write(_ text: String, _ path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static let smallTaxonomy = #"""
        {"id": "small", "nodes": [
          {"id": "a", "kind": "enum", "values": ["x", "y"]},
          {"id": "b", "kind": "enum", "values": ["p", "q"]}]}
        """#

    @Test("A taxonomy with a given/enabledIf cycle")
    func cycle() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/cycle.taxonomy.json"
        try Self.write(
            #"""
            {"id": "cyclic", "nodes": [
              {"id": "a", "kind": "enum", "values": ["x", "y"], "enabledIf": "b == p"},
              {"id": "b", "kind": "enum", "values": ["p", "q"], "prior": {"given": ["a"], "table": [{"if": ["x"], "weights": {"p": 1}}]}}]}
            """#, file)
        #expect {
            _ = try Taxonomy.load(file: file)
        } throws: { error in
            guard let error = error as? PopulationError else { return false }
            return error.code == .invalidTaxonomy && error.file == file && error.path == "$.nodes[1]"
                && error.message.contains("cycle") && error.message.contains("a -> b -> a")
        }
    }

    @Test("Counts that do not sum to N")
    func countsMismatch() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/counts.json"
        try Self.write(
            #"{"population": 10, "taxonomy": \#(Self.smallTaxonomy), "targets": [{"id": "t", "dims": ["a"], "kind": "counts", "table": [["x", 3], ["y", 4]]}]}"#,
            file)
        let spec = try PopulationSpec.load(file: file)
        #expect {
            _ = try spec.plan()
        } throws: { error in
            guard let error = error as? PopulationError else { return false }
            return error.code == .invalidSpec && error.file == file && error.path == "$.targets[0].table"
                && error.message.contains("sum to 7 but the population is 10")
        }
    }

    @Test("An infeasible target set names the target and cell")
    func infeasible() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/infeasible.json"
        try Self.write(
            #"""
            {"population": 100, "taxonomy": \#(Self.smallTaxonomy),
             "rules": [{"id": "x_needs_p", "when": "a == x", "require": "b == p"}],
             "targets": [{"id": "joint", "dims": ["a", "b"], "table": [["x", "p", 0.25], ["x", "q", 0.25], ["y", "p", 0.25], ["y", "q", 0.25]]}]}
            """#, file)
        let spec = try PopulationSpec.load(file: file)
        #expect {
            _ = try spec.plan()
        } throws: { error in
            guard let error = error as? PopulationError else { return false }
            return error.code == .infeasibleTargets && error.file == file && error.path == "$.targets[0]"
                && error.message.contains("'joint'") && error.message.contains("a=x, b=q")
        }
    }

    @Test("A rule with an unknown attribute")
    func unknownAttribute() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/rule.json"
        try Self.write(
            #"{"taxonomy": \#(Self.smallTaxonomy), "rules": [{"id": "typo", "when": "a == x", "require": "c.missing == p"}]}"#,
            file)
        #expect {
            _ = try PopulationSpec.load(file: file)
        } throws: { error in
            guard let error = error as? PopulationError else { return false }
            return error.code == .invalidRule && error.file == file && error.path == "$.rules[0].require"
                && error.message.contains("rule 'typo'") && error.message.contains("unknown attribute 'c.missing'")
        }
    }

    @Test("A CSV with a missing cell")
    func csvMissingCell() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/csv.json"
        try Self.write("a,proportion\nx,0.5\ny,\n", directory + "/a.csv")
        try Self.write(
            #"{"taxonomy": \#(Self.smallTaxonomy), "targets": [{"id": "t", "dims": ["a"], "table": "a.csv"}]}"#, file)
        #expect {
            _ = try PopulationSpec.load(file: file)
        } throws: { error in
            guard let error = error as? PopulationError else { return false }
            return error.code == .invalidCSV && error.file == directory + "/a.csv" && error.path == "line 3, column 2"
                && error.message.contains("empty cell in column 'proportion'")
        }
    }

    @Test("A literal that is not in the domain of a target dimension")
    func badTargetLiteral() throws {
        #expect {
            _ = try PopulationSpec.load(
                json: try JSONValue.parse(
                    #"{"taxonomy": \#(Self.smallTaxonomy), "targets": [{"id": "t", "dims": ["a"], "table": [["z", 1]]}]}"#
                ),
                file: "inline.json", baseDirectory: nil)
        } throws: { error in
            guard let error = error as? PopulationError else { return false }
            return error.code == .invalidSpec && error.path == "$.targets[0].table[0]"
                && error.message.contains("'z' is not a category of 'a'")
        }
    }
}
