import AgoraTesting
import Foundation
import Storage
import Testing

@testable import Inference

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A two-question answer schema, as a survey item sends it.
let answerSchema: JSONValue = [
    "type": "object",
    "properties": ["answer": ["type": "integer", "minimum": 1, "maximum": 5]],
    "required": ["answer"],
]

func stub(_ imitation: StubServer.Imitation, window: Int? = nil, faults: [StubFault] = []) throws -> StubServer {
    try StubServer(configuration: .init(faults: faults, imitation: imitation, contextWindow: window))
}

@Suite(.timeLimit(.minutes(1))) struct ServerProbeAgainstStubTests {
    @Test(arguments: [
        (StubServer.Imitation.openAI, ServerProfile.Kind.openAI, nil as Int?),
        (.llamaCppPython, .llamaCppPython, nil), (.llamaServer, .llamaServer, 4096), (.vLLM, .vLLM, 4096),
        (.ollama, .ollama, 4096),
    ])
    func eachImitatedServerIsIdentifiedWithItsWindowAndNoCountedRequest(
        imitation: StubServer.Imitation, kind: ServerProfile.Kind, window: Int?
    ) async throws {
        let server = try stub(imitation, window: 4096, faults: [.status500])
        defer { server.stop() }
        let profile = await ServerProbe.discover(Endpoint(baseURL: server.baseURL, model: "stub-model"))
        #expect(profile.kind == kind)
        #expect(profile.contextWindow == window)
        // Discovery is not traffic: uncounted, unrecorded, and it leaves the fault plan alone.
        #expect(server.requestCount == 0)
        #expect(server.requests.isEmpty)
        #expect(server.pendingFaults.count == 1)
        #expect(server.discoveryRequests.first?.path == "/v1/models")
    }

    @Test func theProfileIsCachedPerEndpointAndOverridesWin() async throws {
        let server = try stub(.vLLM, window: 8192)
        defer { server.stop() }
        let endpoint = Endpoint(baseURL: server.baseURL, model: "stub-model")
        let first = await ServerProbe.profile(for: endpoint)
        let asked = server.discoveryRequests.count
        let second = await ServerProbe.profile(for: endpoint, contextWindow: 1000, structured: .text)
        #expect(server.discoveryRequests.count == asked)  // cached: not asked again
        #expect(first.contextWindow == 8192)
        #expect(second.contextWindow == 1000 && second.contextSource == "--context-window")
        #expect(second.structuredMode == .text && second.structuredSource == "--structured")
        #expect(
            second.json(model: "m", endpoint: "e")
                == [
                    "model": "m", "endpoint": "e", "server": "vllm", "contextWindow": 1000,
                    "contextSource": "--context-window", "structured": "text", "structuredSource": "--structured",
                ])
    }
}

@Suite(.timeLimit(.minutes(1))) struct ImitatedServerStructuredOutputTests {
    static func connect(_ server: StubServer, structured: StructuredOutputMode? = nil) async throws
        -> OpenAICompatibleModel
    {
        try await ConnectedModel.connect(
            .url(server.baseURL, model: "stub-model"), environment: [:], retry: RetryPolicy(maxAttempts: 1),
            structured: structured
        ).client
    }

    static func ask(_ model: OpenAICompatibleModel) async throws -> StructuredResult {
        try await StructuredGenerator(model: model).generate(
            ChatRequest(messages: [.user("How interested are you, 1 to 5?")]), schema: answerSchema, name: "answer")
    }

    @Test func llamaCppPythonGetsTheGrammarFormOnTheFirstCallAndNeverJSONSchema() async throws {
        let server = try stub(.llamaCppPython)
        defer { server.stop() }
        let model = try await Self.connect(server)
        let result = try await Self.ask(model)
        #expect(result.value == ["answer": 1])
        #expect(result.attempts == 1)
        #expect(server.requestCount == 1)
        let format = server.requests.first?.json?["response_format"]
        #expect(format?["type"] == "json_object")
        #expect(format?["schema"]?["properties"]?["answer"]?["enum"] == [1, 2, 3, 4, 5])
    }

    @Test func llamaCppPythonRefusesJSONSchemaWithA500AsTheRealServerDoes() async throws {
        let server = try stub(.llamaCppPython)
        defer { server.stop() }
        let model = OpenAICompatibleModel(
            endpoint: Endpoint(baseURL: server.baseURL, model: "stub-model", retry: RetryPolicy(maxAttempts: 1)))
        await #expect {
            _ = try await model.complete(
                ChatRequest(
                    messages: [.user("q")], responseFormat: .jsonSchema(name: "a", schema: answerSchema, strict: true)))
        } throws: { error in
            guard let error = error as? InferenceError else { return false }
            return error.status == 500 && error.message.contains("Input should be 'text' or 'json_object'")
                && StructuredGenerator.isFormatRejection(error)
        }
    }

    @Test func llamaServerAndOllamaAndVLLMAnswerJSONSchemaOnTheFirstCall() async throws {
        for imitation in [StubServer.Imitation.llamaServer, .ollama, .vLLM] {
            let server = try stub(imitation)
            defer { server.stop() }
            let result = try await Self.ask(try await Self.connect(server))
            #expect(result.value == ["answer": 1], "\(imitation)")
            #expect(server.requestCount == 1, "\(imitation)")
        }
    }

    @Test func vLLMWithTheGrammarOverrideGetsGuidedJSONAndNoResponseFormat() async throws {
        let server = try stub(.vLLM)
        defer { server.stop() }
        let result = try await Self.ask(try await Self.connect(server, structured: .jsonObjectSchema))
        #expect(result.value == ["answer": 1])
        let body = try #require(server.requests.first?.json)
        #expect(body["guided_json"]?["required"] == ["answer"])
        #expect(body["response_format"] == nil)
    }

    @Test func vLLMRefusesTwoGuidedDecodingRequestsAtOnceInItsOwnErrorShape() async throws {
        let server = try stub(.vLLM)
        defer { server.stop() }
        let body: JSONValue = [
            "model": "stub-model", "messages": [["role": "user", "content": "q"]], "guided_json": answerSchema,
            "response_format": ["type": "json_object"],
        ]
        var request = URLRequest(url: server.baseURL.appendingPathComponent("chat/completions"))
        request.httpMethod = "POST"
        request.httpBody = Data(body.serialized().utf8)
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 400)
        let json = try JSONValue.parse(data)
        #expect(json["object"] == "error")
        #expect(json["type"] == "BadRequestError")
        #expect(json["message"]?.stringValue?.contains("one kind of guided decoding") == true)
    }

    @Test func ollamaSaysAnUnknownModelMustBePulled() async throws {
        let server = try stub(.ollama)
        defer { server.stop() }
        let model = OpenAICompatibleModel(
            endpoint: Endpoint(baseURL: server.baseURL, model: "llama9", retry: RetryPolicy(maxAttempts: 1)))
        await #expect {
            _ = try await model.complete(ChatRequest(messages: [.user("q")]))
        } throws: { error in
            guard let error = error as? InferenceError else { return false }
            return error.status == 404 && error.message.contains("try pulling it first") && error.isEndpointUnusable
        }
    }

    @Test func ollamaCutsALongPromptSilentlyWhereTheOthersRefuseIt() async throws {
        let long = ChatRequest(messages: [.user(String(repeating: "word ", count: 400))])
        for (imitation, refuses) in [(StubServer.Imitation.ollama, false), (.llamaServer, true), (.vLLM, true)] {
            let server = try stub(imitation, window: 64)
            defer { server.stop() }
            let model = try await Self.connect(server)
            #expect(model.contextWindow == 64)
            do {
                _ = try await model.complete(long)
                #expect(!refuses, "\(imitation) answered")
            } catch let error as InferenceError {
                #expect(refuses, "\(imitation): \(error)")
                #expect(error.code == .contextLengthExceeded)
                #expect(error.message.contains("--context-window 64"), "\(error.message)")
            }
        }
    }

    @Test func anUnknownServerRejectingTwoFormsSettlesOnTheStrongestItAccepts() async throws {
        // An OpenAI-style server that takes neither json_schema nor json_object with a schema.
        let server = try StubServer(
            configuration: .init(responder: { request in
                let format = request.json?["response_format"]
                if format?["type"] == "json_schema" || format?["schema"] != nil {
                    return .error(status: 422, message: "response_format: unsupported value")
                }
                return StubServer.defaultReply(to: request)
            }))
        defer { server.stop() }
        let model = try await Self.connect(server)
        let generator = StructuredGenerator(model: model)
        await #expect(throws: InferenceError.self) {  // json_object gets `{}`: invalid, as the stub answers
            _ = try await generator.generate(
                ChatRequest(messages: [.user("q")]), schema: answerSchema, name: "answer")
        }
        let forms = server.requests.map { $0.json?["response_format"]?["type"]?.stringValue ?? "none" }
        #expect(forms == ["json_schema", "json_object", "json_object", "json_object"])
        #expect(StructuredOutputSupport.mode(for: model.identifier) == .jsonObject)
    }
}
