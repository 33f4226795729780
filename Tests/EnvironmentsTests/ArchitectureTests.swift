import Foundation
import Testing

/// docs/architecture.md, Package.swift and the `import` lines of Sources/ tell one story.
@Suite("The import graph")
struct ArchitectureTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Library and executable targets and their first-party dependencies, from Package.swift.
    static func packageGraph() throws -> [String: Set<String>] {
        let text = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let target = try NSRegularExpression(
            pattern: #"\.(?:target|executableTarget)\(\s*name: "(\w+)"(?:,\s*dependencies: \[([^\]]*)\])?"#)
        let quoted = try NSRegularExpression(pattern: #""(\w+)""#)
        var graph: [String: Set<String>] = [:]
        let whole = NSRange(text.startIndex..., in: text)
        for match in target.matches(in: text, range: whole) {
            guard let name = Range(match.range(at: 1), in: text) else { continue }
            let list = Range(match.range(at: 2), in: text).map { String(text[$0]) } ?? ""
            let names = quoted.matches(in: list, range: NSRange(list.startIndex..., in: list)).compactMap {
                Range($0.range(at: 1), in: list).map { String(list[$0]) }
            }
            graph[String(text[name])] = Set(names)
        }
        return graph
    }

    /// The module table of docs/architecture.md: module → imports.
    static func documentedGraph() throws -> [String: Set<String>] {
        let text = try String(
            contentsOf: root.appendingPathComponent("docs/architecture.md"), encoding: .utf8)
        var graph: [String: Set<String>] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let first = cells.first, let last = cells.last else { continue }
            let name = first.split(separator: "`").first.map(String.init) ?? ""
            graph[name] =
                last == "—" ? [] : Set(last.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        }
        return graph
    }

    @Test("docs/architecture.md lists exactly Package.swift's targets and dependencies")
    func documentedGraphMatchesThePackage() throws {
        let package = try Self.packageGraph()
        let documented = try Self.documentedGraph()
        #expect(package.count >= 12)
        #expect(documented.keys.sorted() == package.keys.sorted())
        for (name, deps) in package.sorted(by: { $0.key < $1.key }) {
            #expect(documented[name] == deps, "\(name): docs \(documented[name]?.sorted() ?? []) vs \(deps.sorted())")
        }
    }

    @Test("every import in Sources is a declared dependency, and the graph has no cycle")
    func importsGoDownward() throws {
        let package = try Self.packageGraph()
        let modules = Set(package.keys).union(["CSQLite", "CEpoll"])
        let importLine = try NSRegularExpression(
            pattern: #"^\s*(?:public |package |internal |@preconcurrency )*import (\w+)"#, options: .anchorsMatchLines)
        var checked = 0
        for (target, deps) in package {
            let folder = Self.root.appendingPathComponent("Sources/\(target)")
            let files =
                FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)?
                .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" } ?? []
            for file in files {
                let text = try String(contentsOf: file, encoding: .utf8)
                for match in importLine.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    guard let range = Range(match.range(at: 1), in: text) else { continue }
                    let module = String(text[range])
                    guard modules.contains(module) else { continue }
                    checked += 1
                    #expect(deps.contains(module), "\(file.lastPathComponent) in \(target) imports \(module)")
                }
            }
        }
        #expect(checked > 100)
        // Kahn's algorithm: every target can be placed after its dependencies.
        var remaining = package.mapValues { $0.intersection(package.keys) }
        while let ready = remaining.first(where: { $0.value.isEmpty })?.key {
            remaining[ready] = nil
            for key in remaining.keys { remaining[key]?.remove(ready) }
        }
        #expect(remaining.isEmpty, "a cycle among \(remaining.keys.sorted())")
    }

    @Test("no file in Sources is over 450 lines unless its header comment says why it is one idea")
    func filesStaySmall() throws {
        let sources = Self.root.appendingPathComponent("Sources")
        let files =
            FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" } ?? []
        var long: [String] = []
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            let header = lines.prefix(12).joined(separator: "\n")
            if lines.count > 450, !header.contains("One idea:") {
                long.append("\(file.lastPathComponent) (\(lines.count))")
            }
        }
        #expect(long.sorted() == [], "split these or say in the header (\"One idea: …\") why they are one")
    }
}
