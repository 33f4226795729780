import AgoraTesting
import Foundation
import Inference
import Storage
import Testing

@Suite(.timeLimit(.minutes(1)))
struct CacheAndLedgerTests {
    static let request = ChatRequest(messages: [.user("Hello")], temperature: 0.7, maxTokens: 10)

    @Test func theCacheKeyCoversModelMessagesParametersAndSampleIndex() {
        let base = ResponseCache.key(for: Self.request, model: "m")
        #expect(base.count == 64)
        #expect(base == ResponseCache.key(for: Self.request, model: "m"))
        var other = Self.request
        other.sampleIndex = 1
        #expect(ResponseCache.key(for: other, model: "m") != base)
        other = Self.request
        other.temperature = 0.8
        #expect(ResponseCache.key(for: other, model: "m") != base)
        #expect(ResponseCache.key(for: Self.request, model: "n") != base)
        other = Self.request
        other.responseFormat = .jsonSchema(name: "x", schema: ["type": "object"], strict: true)
        #expect(ResponseCache.key(for: other, model: "m") != base)
    }

    @Test func aCacheHitMakesNoRequest() async throws {
        let server = try StubServer()
        defer { server.stop() }
        let cache = try ResponseCache(.memory)
        let ledger = Ledger()
        let client = OpenAICompatibleModel(endpoint: Endpoint(baseURL: server.baseURL, model: "stub-model"))
        let model = CachedModel(base: client, cache: cache, mode: .readWrite, ledger: ledger)
        let first = try await model.complete(Self.request)
        let second = try await model.complete(Self.request)
        #expect(server.requestCount == 1)
        #expect(!first.fromCache)
        #expect(second.fromCache)
        #expect(second.content == first.content)
        #expect(second.usage == first.usage)
        var resample = Self.request
        resample.sampleIndex = 1
        _ = try await model.complete(resample)
        #expect(server.requestCount == 2)
        let entry = try #require(ledger.snapshot().first)
        #expect(entry.calls == 2)
        #expect(entry.cachedCalls == 1)
        #expect(entry.promptTokens == 2 * first.usage.promptTokens)
    }

    @Test func replayOnlyServesHitsAndErrorsOnAMiss() async throws {
        let cache = try ResponseCache(.memory)
        let scripted = ScriptedModel(replies: ["recorded"])
        _ = try await CachedModel(base: scripted, cache: cache, mode: .readWrite).complete(Self.request)
        let replay = CachedModel(base: scripted, cache: cache, mode: .replayOnly)
        #expect(try await replay.complete(Self.request).content == "recorded")
        var miss = Self.request
        miss.messages = [.user("Something else")]
        await #expect {
            _ = try await replay.complete(miss)
        } throws: { error in
            (error as? InferenceError)?.code == .cacheMiss
        }
        #expect(scripted.requests.count == 1)
    }

    @Test func theCacheFileNeverHoldsTheKey() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "agora-cache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("cache.sqlite").path
        let secret = "fake-never-store-this-0123456789"
        let server = try StubServer(configuration: .init(requiredAPIKey: secret))
        defer { server.stop() }
        let client = OpenAICompatibleModel(
            endpoint: Endpoint(
                baseURL: server.baseURL, model: "stub-model",
                authentication: .bearer(secret)))
        let cache = try ResponseCache(.file(path))
        _ = try await CachedModel(base: client, cache: cache, mode: .readWrite).complete(Self.request)
        #expect(try await cache.count() == 1)
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            let bytes = try Data(contentsOf: directory.appendingPathComponent(file))
            #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(file) contains the key")
        }
    }

    @Test func concurrentWritersShareOneCacheSafely() async throws {
        let cache = try ResponseCache(.memory)
        let model = CachedModel(
            base: ScriptedModel(rule: { $0.messages[0].content.uppercased() }), cache: cache, mode: .readWrite)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<100 {
                group.addTask { _ = try await model.complete(ChatRequest(messages: [.user("q\(i % 25)")])) }
            }
            try await group.waitForAll()
        }
        #expect(try await cache.count() == 25)
        #expect(try await model.complete(ChatRequest(messages: [.user("q3")])).content == "Q3")
    }

    @Test func thePriceTableTurnsTheLedgerIntoCost() {
        let ledger = Ledger()
        ledger.record(
            model: "a", usage: Usage(promptTokens: 1_000_000, completionTokens: 500_000), latency: .milliseconds(10),
            cached: false)
        ledger.record(model: "a", usage: Usage(promptTokens: 9, completionTokens: 9), latency: .zero, cached: true)
        let prices = PriceTable(prices: ["a": .init(prompt: 0.15, completion: 0.6)])
        let entry = ledger.snapshot()[0]
        #expect(abs((prices.cost(of: entry) ?? 0) - 0.45) < 1e-12)
        #expect(entry.cachedPromptTokens == 9)
        #expect(PriceTable().cost(of: entry) == nil)
    }
}

@Suite("Hardening: a response cache locked by another process", .timeLimit(.minutes(1)))
struct CacheLockHardeningTests {
    @Test("the answer already paid for is returned, not turned into a failed call")
    func lockedCacheKeepsTheAnswer() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "agora-cache-\(UUID().uuidString).sqlite"
        )
        .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let cache = try ResponseCache(.file(path))
        let other = try Connection(.file(path))
        try other.execute("BEGIN EXCLUSIVE")
        defer { try? other.execute("ROLLBACK") }
        let model = CachedModel(base: ScriptedModel(replies: ["paid for"]), cache: cache, mode: .readWrite)
        let response = try await model.complete(ChatRequest(messages: [.user("hello")], maxTokens: 8))
        #expect(response.content == "paid for")
    }
}
