import AgoraTesting
import Foundation
import Storage
import Testing

@testable import Inference

/// Builds GGUF headers byte by byte (little-endian), as llama.cpp's writer lays them out.
struct GGUFFixture {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    mutating func u64(_ v: UInt64) { for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
    mutating func string(_ s: String) {
        u64(UInt64(s.utf8.count))
        bytes += Array(s.utf8)
    }
    mutating func key(_ name: String, type: UInt32) {
        string(name)
        u32(type)
    }

    /// A Gemma-3-270M-shaped header: 12 keys, the vocabulary as a string array, a chat template.
    static func gemmaLike(contextLength: UInt32 = 32_768) -> [UInt8] {
        var f = GGUFFixture()
        f.bytes += Array("GGUF".utf8)
        f.u32(3)
        f.u64(236)  // tensors
        f.u64(12)  // keys
        f.key("general.architecture", type: 8)
        f.string("gemma3")
        f.key("gemma3.context_length", type: 4)
        f.u32(contextLength)
        f.key("gemma3.embedding_length", type: 4)
        f.u32(640)
        f.key("gemma3.block_count", type: 4)
        f.u32(18)
        f.key("gemma3.attention.head_count", type: 4)
        f.u32(4)
        f.key("gemma3.attention.head_count_kv", type: 4)
        f.u32(1)
        f.key("gemma3.attention.key_length", type: 4)
        f.u32(256)
        f.key("gemma3.attention.value_length", type: 4)
        f.u32(256)
        f.key("tokenizer.ggml.tokens", type: 9)
        f.u32(8)
        f.u64(3)
        f.string("<pad>")
        f.string("▁the")
        f.string("a")
        f.key("tokenizer.ggml.scores", type: 9)
        f.u32(6)
        f.u64(3)
        for _ in 0..<3 { f.u32(Float(-1.5).bitPattern) }
        f.key("gemma3.rope.freq_base", type: 6)
        f.u32(Float(10_000).bitPattern)
        f.key("tokenizer.chat_template", type: 8)
        f.string("{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}")
        return f.bytes
    }
}

@Suite struct GGUFMetadataTests {
    @Test func aHandBuiltHeaderYieldsTheTrainedContextTheKVShapesAndTheChatTemplate() throws {
        let metadata = try GGUFMetadata.parse(Data(GGUFFixture.gemmaLike()))
        #expect(metadata.version == 3)
        #expect(metadata.tensorCount == 236)
        #expect(metadata.entries.count == 12)
        #expect(metadata.architecture == "gemma3")
        #expect(metadata.trainedContextLength == 32_768)
        // 18 layers × 1 KV head × (256 + 256) × 2 bytes.
        #expect(metadata.kvBytesPerToken == 18_432)
        #expect(metadata["tokenizer.ggml.tokens"] == .array(count: 3))
        #expect(metadata["gemma3.rope.freq_base"] == .number(10_000))
        #expect(metadata.chatTemplate == "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}")
    }

    @Test func signedAndWideIntegersAndBooleansDecode() throws {
        var f = GGUFFixture()
        f.bytes += Array("GGUF".utf8)
        f.u32(2)
        f.u64(0)
        f.u64(3)
        f.key("a.i8", type: 1)
        f.u8(0xFE)
        f.key("a.u64", type: 10)
        f.u64(131_072)
        f.key("a.flag", type: 7)
        f.u8(1)
        let metadata = try GGUFMetadata.parse(Data(f.bytes))
        #expect(metadata["a.i8"] == .integer(-2))
        #expect(metadata.integer("a.u64") == 131_072)
        #expect(metadata["a.flag"] == .bool(true))
    }

    @Test(arguments: [
        (Array("GGML".utf8) + [3, 0, 0, 0], "does not start with GGUF"),
        (Array("GGUF".utf8) + [9, 0, 0, 0], "version 9"),
        (Array(GGUFFixture.gemmaLike().prefix(60)), "ends early"),
    ])
    func aDamagedHeaderIsAFormatErrorThatSaysWhy(bytes: [UInt8], expected: String) {
        #expect {
            _ = try GGUFMetadata.parse(Data(bytes))
        } throws: { error in
            (error as? GGUFMetadata.FormatError)?.message.contains(expected) == true
        }
    }

    @Test func readingAFileNamesItWhenItIsNotGGUF() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("agora-not-\(UUID().uuidString).gguf")
        try Data("hello".utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect {
            _ = try GGUFMetadata.read(url)
        } throws: { error in
            guard let error = error as? InferenceError else { return false }
            return error.code == .invalidConfiguration && error.message.contains(url.path)
        }
    }
}

@Suite struct LocalContextSizeTests {
    static let gib = 1 << 30

    @Test(arguments: [
        // trained, KV bytes per token, available memory → n_ctx
        (32_768, 18_432, 64 * gib, 32_768),  // Gemma 3 270M on a roomy machine: its full context
        (131_072, 18_432, 64 * gib, 32_768),  // capped at 32k
        (32_768, 18_432, 1 * gib, 14_336),  // a quarter of 1 GiB / 18 KiB = 14,563 → 14,336
        (32_768, 18_432, 16 * (1 << 20), 2_048),  // never below 2048
        (1_024, 18_432, 64 * gib, 1_024),  // …unless trained on less
        (0, 0, 0, 4_096),  // nothing known: 4096
    ])
    func theLocalServerGetsTheTrainedContextBoundedBy32kAndMemory(
        trained: Int, perToken: Int, memory: Int, expected: Int
    ) {
        #expect(
            LocalModelServer.contextSize(
                trained: trained == 0 ? nil : trained, kvBytesPerToken: perToken == 0 ? nil : perToken,
                availableMemory: memory == 0 ? nil : memory) == expected)
    }

    @Test func theServerIsStartedWithThatContextAndWithoutAllLogits() {
        let arguments = LocalModelServer.serverArguments(
            model: URL(fileURLWithPath: "/m.gguf"), port: 8123, contextSize: 32_768)
        let nCtx = arguments.firstIndex(of: "--n_ctx").map { arguments[$0 + 1] }
        let logits = arguments.firstIndex(of: "--logits_all").map { arguments[$0 + 1] }
        #expect(nCtx == "32768")
        #expect(logits == "false")
    }

    @Test func aGGUFFileOnDiskGivesItsContextSize() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("agora-\(UUID().uuidString).gguf")
        try Data(GGUFFixture.gemmaLike(contextLength: 8_192)).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        // 8192 × 18 KiB = 144 MiB of KV cache: bounded by memory only on a machine with < 600 MB free.
        let size = LocalModelServer.contextSize(for: url)
        #expect(size <= 8_192 && size >= 2_048 && size % 256 == 0)
    }
}

@Suite struct ServerIdentificationTests {
    static func json(_ text: String) -> JSONValue? { try? JSONValue.parse(Data(text.utf8)) }

    @Test func vLLMIsKnownByMaxModelLenInItsModelList() {
        let models = Self.json(
            #"{"object":"list","data":[{"id":"m","object":"model","owned_by":"vllm","root":"m","max_model_len":8192}]}"#
        )
        let profile = ServerProbe.identify(
            models: models, props: nil, ollamaVersion: nil, ollamaShow: nil, model: "m")
        #expect(profile.kind == .vLLM)
        #expect(profile.contextWindow == 8192)
        #expect(profile.contextSource == "vLLM /v1/models max_model_len")
        #expect(profile.dialect == .vLLM)
    }

    @Test func llamaServerIsKnownByPropsAndItsPerSlotContextWins() {
        let models = Self.json(#"{"object":"list","data":[{"id":"m.gguf","object":"model","owned_by":"llamacpp"}]}"#)
        let props = Self.json(#"{"default_generation_settings":{"n_ctx":4096},"total_slots":2,"n_ctx":8192}"#)
        let profile = ServerProbe.identify(
            models: models, props: props, ollamaVersion: nil, ollamaShow: nil, model: "x")
        #expect(profile.kind == .llamaServer)
        #expect(profile.contextWindow == 4096)
        #expect(profile.dialect == .llamaCpp)
        let topLevelOnly = ServerProbe.identify(
            models: nil, props: Self.json(#"{"n_ctx":8192}"#), ollamaVersion: nil, ollamaShow: nil, model: "x")
        #expect(topLevelOnly.kind == .llamaServer)
        #expect(topLevelOnly.contextWindow == 8192)
        #expect(topLevelOnly.contextSource == "llama.cpp /props n_ctx")
    }

    @Test func llamaCppPythonIsKnownByItsOwnerAndGetsTheGrammarForm() {
        let models = Self.json(
            #"{"object":"list","data":[{"id":"smollm2","object":"model","owned_by":"me","permissions":[]}]}"#)
        let profile = ServerProbe.identify(
            models: models, props: nil, ollamaVersion: nil, ollamaShow: nil, model: "smollm2")
        #expect(profile.kind == .llamaCppPython)
        #expect(profile.contextWindow == nil)
        #expect(profile.contextSource == "unknown")
        #expect(profile.structuredForm == "json_object+schema (grammar)")
    }

    @Test(arguments: [
        (#"{"parameters":"stop \"<|eot|>\"\nnum_ctx 8192","model_info":{"llama.context_length":131072}}"#, 8192),
        (#"{"parameters":"","model_info":{"llama.context_length":131072}}"#, 2048),
        (#"{"model_info":{"tiny.context_length":1024}}"#, 1024),
    ])
    func ollamaIsKnownByItsVersionAndItsWindowIsNumCtx(show: String, window: Int) {
        let profile = ServerProbe.identify(
            models: nil, props: nil, ollamaVersion: Self.json(#"{"version":"0.5.7"}"#), ollamaShow: Self.json(show),
            model: "llama3.2")
        #expect(profile.kind == .ollama)
        #expect(profile.contextWindow == window)
    }

    @Test func anUnknownServerIsOpenAIStyleWithTheKnownModelTable() {
        let models = Self.json(#"{"object":"list","data":[{"id":"gpt-4o-mini","owned_by":"system"}]}"#)
        let profile = ServerProbe.identify(
            models: models, props: nil, ollamaVersion: nil, ollamaShow: nil, model: "gpt-4o-mini")
        #expect(profile.kind == .openAI)
        #expect(profile.contextWindow == 128_000)
        #expect(profile.contextSource == "known model table")
        let nothing = ServerProbe.identify(models: nil, props: nil, ollamaVersion: nil, ollamaShow: nil, model: "x")
        #expect(nothing.kind == .openAI && nothing.contextWindow == nil && nothing.contextSource == "unknown")
    }

    @Test(arguments: [
        ("gpt-4o-mini-2024-07-18", 128_000), ("gpt-4", 8_192), ("gpt-4-0613", 8_192), ("gpt-4-turbo-preview", 128_000),
        ("gpt-4.1-nano", 1_047_576), ("o3-mini", 200_000), ("GPT-3.5-TURBO", 16_385),
    ])
    func knownHostedModelsHaveTheirWindowsByLongestPrefix(model: String, window: Int) {
        #expect(ServerProbe.knownContextWindow(model: model) == window)
    }

    @Test func unknownModelsHaveNoWindow() {
        #expect(ServerProbe.knownContextWindow(model: "llama3.2:1b") == nil)
    }

    @Test(arguments: [
        ("http://h:8000/v1", "http://h:8000/props"), ("http://h:8000/v1/", "http://h:8000/props"),
        ("http://h/api", "http://h/api/props"),
    ])
    func discoveryPathsHangOffTheServerRootNotV1(base: String, props: String) throws {
        let url = try #require(URL(string: base))
        #expect(ServerProbe.rootURL(url).appendingPathComponent("props").absoluteString == props)
    }
}

/// A model whose server reports 96 of 100 prompt tokens as served from its prompt cache.
struct PromptCachingModel: LanguageModel {
    let identifier = "prompt-caching"
    func complete(_ request: ChatRequest) async throws -> ChatResponse {
        ChatResponse(content: "hi", usage: Usage(promptTokens: 100, completionTokens: 3, cachedPromptTokens: 96))
    }
}

@Suite struct ServerPromptCacheTests {
    static func decode(_ text: String) throws -> ChatResponse {
        try OpenAIWire.decodeChat(Data(text.utf8))
    }

    @Test func openAIsCachedTokensAndLlamaCppsCacheNBecomeCachedPromptTokens() throws {
        let openAI = try Self.decode(
            #"{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":2006,"completion_tokens":300,"prompt_tokens_details":{"cached_tokens":1920}}}"#
        )
        #expect(openAI.usage == Usage(promptTokens: 2006, completionTokens: 300, cachedPromptTokens: 1920))
        let llama = try Self.decode(
            #"{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":90,"completion_tokens":5},"timings":{"cache_n":64,"prompt_n":26}}"#
        )
        #expect(llama.usage.cachedPromptTokens == 64)
        let none = try Self.decode(#"{"choices":[{"message":{"content":"x"}}]}"#)
        #expect(none.usage.cachedPromptTokens == 0)
    }

    @Test func cachedPromptTokensSurviveTheResponseCacheAndReachTheLedger() async throws {
        let cache = try ResponseCache(.memory)
        let ledger = Ledger()
        let base = PromptCachingModel()
        let model = CachedModel(base: base, cache: cache, mode: .readWrite, ledger: ledger)
        let request = ChatRequest(messages: [.user("hello")])
        let first = try await model.complete(request)
        let second = try await model.complete(request)
        #expect(first.usage.cachedPromptTokens == 96)
        #expect(second.fromCache)
        #expect(second.usage.cachedPromptTokens == 96)
        #expect(ledger.total().serverCachedPromptTokens == 96)  // the cache hit is not a server call
    }

    @Test func usageDecodedFromOlderJSONHasNoCachedPromptTokens() throws {
        let usage = try JSONDecoder().decode(Usage.self, from: Data(#"{"promptTokens":4,"completionTokens":2}"#.utf8))
        #expect(usage == Usage(promptTokens: 4, completionTokens: 2))
        #expect(Usage(cachedPromptTokens: 3) + Usage(cachedPromptTokens: 4) == Usage(cachedPromptTokens: 7))
    }
}

@Suite(.timeLimit(.minutes(1))) struct ContextOverflowTests {
    static let llamaCppPython =
        #"{"error":{"message":"This model's maximum context length is 4096 tokens. However, you requested 5120 tokens (4608 in the messages, 512 in the completion). Please reduce the length of the messages or completion.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#
    static let llamaServer =
        #"{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error","n_prompt_tokens":5000,"n_ctx":2048}}"#
    static let vLLM =
        #"{"object":"error","message":"The decoder prompt (length 9000) is longer than the maximum model length of 8192. Make sure that `max_model_len` is no smaller than the number of text tokens.","type":"BadRequestError","param":null,"code":400}"#

    @Test(arguments: [(llamaCppPython, 4096), (llamaServer, 2048), (vLLM, 8192)])
    func aContextOverflowStopsTheRunOnceWithTheWindowToConfigure(body: String, window: Int) async throws {
        let server = try StubServer(
            configuration: .init(responder: { _ in .raw(status: 400, headers: [], body: Array(body.utf8)) }))
        defer { server.stop() }
        let model = OpenAICompatibleModel(endpoint: Endpoint(baseURL: server.baseURL, model: "m"))
        await #expect {
            _ = try await model.complete(ChatRequest(messages: [.user("long")]))
        } throws: { error in
            guard let error = error as? InferenceError else { return false }
            return error.code == .contextLengthExceeded && error.stopsRun && !error.isEndpointUnusable
                && error.message.contains("--context-window \(window)")
        }
        #expect(server.requestCount == 1)  // not retried
    }

    @Test func aStructuredRequestThatOverflowsDoesNotDegradeTheFormat() async throws {
        let body = Self.llamaCppPython
        let server = try StubServer(
            configuration: .init(responder: { _ in .raw(status: 400, headers: [], body: Array(body.utf8)) }))
        defer { server.stop() }
        let model = OpenAICompatibleModel(endpoint: Endpoint(baseURL: server.baseURL, model: "overflow-\(UUID())"))
        let generator = StructuredGenerator(model: model)
        await #expect(throws: InferenceError.self) {
            _ = try await generator.generate(
                ChatRequest(messages: [.user("q")]), schema: ["type": "object"], name: "answer")
        }
        #expect(server.requestCount == 1)
        #expect(StructuredOutputSupport.mode(for: model.identifier) == .jsonSchema)
    }
}
