import Foundation
import Population
import Testing

@Suite("Hardening: population generate never deletes what it was not asked to write")
struct OutputHardeningTests {
    static func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("agora-out-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("an existing folder given as --out is refused, with and without a trailing slash; its files stay")
    func folderIsRefused() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let precious = folder + "/precious.txt"
        try "keep me".write(toFile: precious, atomically: true, encoding: .utf8)
        let spec = try DemoFixture.spec(population: 20)
        for out in [folder, folder + "/"] {
            await #expect(throws: PopulationError.self, "\(out)") {
                try await PersonaFactory.generate(spec: spec, count: 20, seed: 1, out: out)
            }
        }
        #expect(try String(contentsOfFile: precious, encoding: .utf8) == "keep me")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["precious.txt"])
    }

    @Test("an existing file named as --out is replaced whole; no partial file is left behind")
    func fileIsReplaced() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let out = folder + "/people.jsonl"
        try "old\n".write(toFile: out, atomically: true, encoding: .utf8)
        _ = try await PersonaFactory.generate(spec: try DemoFixture.spec(population: 20), count: 20, seed: 1, out: out)
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 20)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["people.jsonl"])
    }
}
