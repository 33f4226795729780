import Environments
import Foundation
import Runs
import Storage
import Testing

@testable import ToolTasks

@Suite("agora report of a tool-task run")
struct ToolTaskStoredRunTests {
    @Test("rebuilds every output from the run store alone, after the domain folder is gone")
    func reportWithoutTheDomain() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "agora-tt-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let domain = folder.appendingPathComponent("support-desk")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: SupportDesk.directory, to: domain)
        let summary = try await ToolTaskRunner.run(
            ToolTaskRunConfig(
                domain: domain, taskIDs: ["sd-001", "sd-002"], agent: .gold,
                outDirectory: folder.appendingPathComponent("runs")))
        #expect(summary.unitsDone == 2 && !summary.hasFailures)
        var before: [String: String] = [:]
        for name in ToolTaskRunTests.outputs {
            before[name] = try ToolTaskRunTests.read(summary.directory, name)
        }
        try FileManager.default.removeItem(at: domain)
        for name in ToolTaskRunTests.outputs {
            try FileManager.default.removeItem(at: summary.directory.appendingPathComponent(name))
        }
        let markdown = try await Launcher.report(summary.directory, format: .md)
        #expect(markdown == before["report.md"])
        for name in ToolTaskRunTests.outputs {
            #expect(try ToolTaskRunTests.read(summary.directory, name) == before[name], "\(name)")
        }
    }
}
