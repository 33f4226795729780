import Foundation
import Inference
import Storage
import Testing

@testable import Runs

@Suite struct RunStoreModelsTests {
    static func folder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("agora-store-\(UUID().uuidString)")
    }

    static let manifest = RunManifest(
        runID: "r1", kind: "survey", document: ["id": "s"], sourceFile: nil, seed: 7, model: "local")

    @Test func aStoreWrittenBeforeMigration2OpensWithZeroServerCachedTokensAndTakesNewOnes() async throws {
        let directory = Self.folder()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent(RunStore.fileName).path
        do {  // a version-1 store, as the previous build wrote it, with one call
            let old = try Connection(.file(file))
            try old.migrate([RunStore.migrations[0]])
            try old.run("INSERT INTO manifest(key, value) VALUES ('run_id', 'r1'), ('kind', 'survey')")
            try old.run(
                "INSERT INTO manifest(key, value) VALUES ('document', '{}'), ('seed', '7'), ('model', 'local')")
            try old.run("INSERT INTO units(idx, id, kind, input) VALUES (0, 'u0', 'k', '{}'), (1, 'u1', 'k', '{}')")
            try old.run(
                """
                INSERT INTO model_calls(unit, seq, model, cache_key, purpose, prompt_tokens, completion_tokens, latency_s, cached)
                VALUES (0, 0, 'm', 'k0', 'text', 100, 5, 0.1, 0)
                """)
        }
        let store = try RunStore.open(directory)
        #expect(try await store.modelCalls(unit: 0).first?.cachedPromptTokens == 0)
        try await store.commit(
            UnitOutcome(
                index: 1, status: .done, result: [:],
                modelCalls: [
                    StoredModelCall(
                        seq: 0, model: "m", cacheKey: "k1", purpose: "text", promptTokens: 200, completionTokens: 7,
                        latencySeconds: 0.2, cached: false, cachedPromptTokens: 160)
                ]))
        #expect(try await store.modelCalls(unit: 1).first?.cachedPromptTokens == 160)
        let usage = try await store.usage()
        #expect(usage.map(\.promptTokens) == [300])
        #expect(usage.map(\.cachedPromptTokens) == [160])
        #expect(try await store.manifest().models == [])
    }

    @Test func theModelsLearnedAreInTheManifestAndInResultsUsage() async throws {
        let directory = Self.folder()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await RunStore.create(
            at: directory, manifest: Self.manifest, personas: [],
            units: [UnitSpec(index: 0, id: "u0", kind: "k", input: [:])])
        let profile = ServerProfile(kind: .llamaServer, contextWindow: 8192, contextSource: "llama.cpp /props n_ctx")
        try await store.setModels([profile.json(model: "http://h/v1#m", endpoint: "http://h/v1")])
        try await store.commit(
            UnitOutcome(
                index: 0, status: .done, result: [:],
                modelCalls: [
                    StoredModelCall(
                        seq: 0, model: "http://h/v1#m", cacheKey: "k", purpose: "text", promptTokens: 40,
                        completionTokens: 2, latencySeconds: 0, cached: false, cachedPromptTokens: 32)
                ]))
        let data = try await RunData.load(store)
        #expect(data.manifest.models.first?["contextWindow"] == 8192)
        let usage = RunReport.usage(data)
        #expect(usage["cachedPromptTokens"] == 32)
        #expect(usage["models"]?[0]?["server"] == "llama-server")
        #expect(usage["models"]?[0]?["contextWindow"] == 8192)
        #expect(usage["models"]?[0]?["contextSource"] == "llama.cpp /props n_ctx")
        #expect(usage["models"]?[0]?["cachedPromptTokens"] == 32)
    }
}
