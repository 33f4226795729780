import AgoraTesting
import Foundation
import Storage
import Testing

/// One fault of the endpoint, what the first run must do, and that a resume then finishes the run.
struct EndpointFault: Sendable, CustomTestStringConvertible {
    let name: String
    let faults: [StubFault]
    /// Whether the first run must stop with exit 3 (else the fault is retried away).
    let stops: Bool
    var extraFlags: [String] = []
    var testDescription: String { name }
}

/// The stub is driven through each failure mode; each time the exit code, the stored state and
/// what `--resume` then does are checked.
@Suite("Hardening: fault injection through agora run and --resume", .serialized, .timeLimit(.minutes(3)))
struct FaultInjectionTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let modes: [EndpointFault] = [
        EndpointFault(name: "401 unauthorized", faults: [.status(401, message: "invalid api key")], stops: true),
        EndpointFault(name: "404 no such model", faults: [.status(404, message: "model not found")], stops: true),
        EndpointFault(
            name: "two 429s with Retry-After 0", faults: [.status429(retryAfter: "0"), .status429(retryAfter: "0")],
            stops: false),
        EndpointFault(name: "one 503", faults: [.status503], stops: false),
        EndpointFault(name: "a dropped connection", faults: [.dropConnection], stops: false),
        EndpointFault(name: "a truncated response", faults: [.truncatedResponse], stops: false),
        EndpointFault(
            name: "a reply slower than --timeout 1", faults: [.slow(3)], stops: false, extraFlags: ["--timeout", "1"]),
    ]

    static func results(_ run: URL) throws -> JSONValue {
        try JSONValue.parse(try Data(contentsOf: run.appendingPathComponent("results.json")))
    }

    @Test("each fault: the right exit code, the store and outputs agree, and --resume finishes", arguments: modes)
    func fault(mode: EndpointFault) async throws {
        let stub = try StubServer(configuration: .init(faults: mode.faults))
        defer { stub.stop() }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("agora-fault-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let scenario = Self.repository.appendingPathComponent("Scenarios/quick-survey.json").path
        let model = ["--model", stub.baseURL.absoluteString, "--model-name", "stub-model", "--no-cache"]
        let first = try await CommandRunner.agora(
            ["run", scenario, "--limit", "2", "--out", out.path] + model + mode.extraFlags)
        let run = out.appendingPathComponent("quick-survey-s7")
        let stored = try Self.results(run)
        if mode.stops {
            #expect(first.status == 3, "\(first.stderr)")
            #expect(first.stderr.contains("--resume \(run.path)"), "\(first.stderr)")
            // The other unit in flight may have finished before the run stopped; not both.
            #expect((stored["units"]?["done"]?.intValue ?? 2) < 2)
        } else {
            #expect(first.status == 0, "\(first.stderr)")
            #expect(stored["units"]?["done"] == 2)
        }
        // The same run again: only what is not done runs; nothing done runs twice.
        let before = stub.requestCount
        let resumed = try await CommandRunner.agora(["run", "--resume", run.path, "--limit", "2"] + model)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try Self.results(run)["units"]?["done"] == 2)
        let asked = stub.requestCount - before
        #expect(mode.stops ? asked > 0 : asked == 0, "\(asked) requests on resume")
    }
}
