import AgoraTesting
import Foundation
import Inference
import Storage
import Testing

/// The client against the loopback stub, one fault kind at a time.
@Suite(.timeLimit(.minutes(1)))
struct ClientFaultTests {
    static func client(
        _ server: StubServer, attempts: Int = 4, timeout: TimeInterval = 30, maxInFlight: Int = 8,
        identifier: String? = nil
    ) -> OpenAICompatibleModel {
        OpenAICompatibleModel(
            endpoint: Endpoint(
                baseURL: server.baseURL, model: "stub-model", requestTimeout: timeout,
                limits: .init(maxInFlight: maxInFlight),
                retry: RetryPolicy(maxAttempts: attempts, baseDelay: 0.01, maxDelay: 0.05)),
            identifier: identifier)
    }

    static let hello = ChatRequest(messages: [.system("Be brief."), .user("Hello")], temperature: 0, maxTokens: 20)

    @Test func aPlainCallDecodesContentUsageAndFinishReason() async throws {
        let server = try StubServer(
            configuration: .init(responder: { _ in .chat(content: "Hi!", promptTokens: 12, completionTokens: 3) }))
        defer { server.stop() }
        let response = try await Self.client(server).complete(Self.hello)
        #expect(
            response
                == ChatResponse(
                    content: "Hi!", finishReason: .stop, usage: Usage(promptTokens: 12, completionTokens: 3)))
        let body = try #require(server.requests.first?.json)
        #expect(body["model"] == "stub-model")
        #expect(body["messages"]?[1]?["content"] == "Hello")
        #expect(body["max_tokens"] == .integer(20))
    }

    @Test func toolCallsRoundTripThroughTheWireFormat() async throws {
        let server = try StubServer(
            configuration: .init(responder: { _ in
                .chat(
                    content: "", toolCalls: [("c1", "lookup", #"{"id": 7}"#)], finishReason: "tool_calls",
                    promptTokens: 5, completionTokens: 5)
            }))
        defer { server.stop() }
        let tool = ToolDefinition(
            name: "lookup", description: "Find a record.",
            parameters: try JSONValue.parse(#"{"type": "object", "properties": {"id": {"type": "integer"}}}"#))
        var request = Self.hello
        request.tools = [tool]
        request.toolChoice = .auto
        request.messages.append(.assistant("", toolCalls: [ToolCall(id: "c0", name: "lookup", arguments: "{}")]))
        request.messages.append(.tool(callID: "c0", content: "none"))
        let response = try await Self.client(server).complete(request)
        #expect(response.toolCalls == [ToolCall(id: "c1", name: "lookup", arguments: #"{"id": 7}"#)])
        #expect(response.finishReason == .toolCalls)
        let body = try #require(server.requests.first?.json)
        #expect(body["tools"]?[0]?["function"]?["name"] == "lookup")
        #expect(body["tool_choice"] == "auto")
        #expect(body["messages"]?[2]?["content"] == .null)
        #expect(body["messages"]?[2]?["tool_calls"]?[0]?["id"] == "c0")
        #expect(body["messages"]?[3]?["tool_call_id"] == "c0")
    }

    @Test func retryAfterIsHonoured() async throws {
        let server = try StubServer(configuration: .init(faults: [.status429(retryAfter: "1")]))
        defer { server.stop() }
        let clock = ContinuousClock()
        let start = clock.now
        _ = try await Self.client(server).complete(Self.hello)
        let elapsed = clock.now - start
        #expect(server.requestCount == 2)
        #expect(elapsed >= .milliseconds(950))
    }

    @Test func aServerErrorIsRetriedThenSucceeds() async throws {
        let server = try StubServer(configuration: .init(faults: [.status500, .status503]))
        defer { server.stop() }
        let response = try await Self.client(server).complete(Self.hello)
        #expect(!response.content.isEmpty)
        #expect(server.requestCount == 3)
    }

    @Test func aBadRequestIsNotRetried() async throws {
        let server = try StubServer(configuration: .init(faults: [.status(400, message: "messages: field required")]))
        defer { server.stop() }
        await #expect {
            _ = try await Self.client(server).complete(Self.hello)
        } throws: { error in
            guard let error = error as? InferenceError else { return false }
            return error.code == .httpError && error.status == 400 && error.message.contains("messages: field required")
                && error.model == "stub-model" && error.endpoint == server.baseURL.absoluteString
        }
        #expect(server.requestCount == 1)
    }

    @Test func theRetryBudgetEndsInATypedErrorThatSaysWhatHappened() async throws {
        let server = try StubServer(configuration: .init(faults: [.status500, .status500, .status500]))
        defer { server.stop() }
        await #expect {
            _ = try await Self.client(server, attempts: 3).complete(Self.hello)
        } throws: { error in
            guard let error = error as? InferenceError else { return false }
            return error.code == .retriesExhausted && error.status == 500
                && error.message.contains("gave up after 3 attempts")
        }
        #expect(server.requestCount == 3)
    }

    @Test func aMalformedBodyIsRetriedAndThenSucceeds() async throws {
        let server = try StubServer(configuration: .init(faults: [.malformedJSON]))
        defer { server.stop() }
        _ = try await Self.client(server).complete(Self.hello)
        #expect(server.requestCount == 2)
    }

    @Test func aMalformedBodyEveryTimeIsAMalformedResponseError() async throws {
        let server = try StubServer(configuration: .init(faults: [.malformedJSON, .malformedJSON]))
        defer { server.stop() }
        await #expect {
            _ = try await Self.client(server, attempts: 2).complete(Self.hello)
        } throws: { error in
            guard let error = error as? InferenceError else { return false }
            return error.code == .retriesExhausted && error.message.contains("not JSON")
        }
    }

    @Test func aDroppedConnectionIsRetried() async throws {
        let server = try StubServer(configuration: .init(faults: [.dropConnection]))
        defer { server.stop() }
        _ = try await Self.client(server).complete(Self.hello)
        #expect(server.requestCount == 2)
    }

    @Test func aSlowReplyPastTheTimeoutIsRetriedAsATimeout() async throws {
        let server = try StubServer(configuration: .init(faults: [.slow(3), .slow(3)]))
        defer { server.stop() }
        let clock = ContinuousClock()
        let start = clock.now
        await #expect {
            _ = try await Self.client(server, attempts: 2, timeout: 1).complete(Self.hello)
        } throws: { error in
            (error as? InferenceError)?.code == .timeout
        }
        #expect(clock.now - start >= .milliseconds(1900))
        #expect(server.requestCount == 2)
    }

    @Test func anUnreachableEndpointFailsAtOnceAsUnreachable() async throws {
        let client = OpenAICompatibleModel(
            endpoint: Endpoint(baseURL: URL(string: "http://127.0.0.1:9/v1")!, model: "m", requestTimeout: 5))
        let clock = ContinuousClock()
        let start = clock.now
        await #expect {
            _ = try await client.complete(Self.hello)
        } throws: { error in
            guard let error = error as? InferenceError else { return false }
            return error.code == .unreachable && error.isEndpointUnusable
        }
        #expect(clock.now - start < .seconds(10))
    }

    @Test func theKeyIsSentButNeverAppearsInErrors() async throws {
        let server = try StubServer(configuration: .init(requiredAPIKey: "fake-test-secret-0123456789abcdef"))
        defer { server.stop() }
        let good = OpenAICompatibleModel(
            endpoint: Endpoint(
                baseURL: server.baseURL, model: "stub-model",
                authentication: .bearer("fake-test-secret-0123456789abcdef")
            ))
        _ = try await good.complete(Self.hello)
        let bad = OpenAICompatibleModel(
            endpoint: Endpoint(
                baseURL: server.baseURL, model: "stub-model", authentication: .bearer(FakeKey.make("wrong-"))
            ))
        do {
            _ = try await bad.complete(Self.hello)
            Issue.record("a wrong key must fail")
        } catch let error as InferenceError {
            #expect(error.status == 401)
            #expect(!String(describing: error).contains("fake-wrong"))
            #expect(!bad.endpoint.description.contains("fake-wrong"))
        }
    }

    @Test func azureSendsTheApiKeyHeaderAndVersion() async throws {
        let server = try StubServer(configuration: .init(requiredAPIKey: "azure-key-0123456789"))
        defer { server.stop() }
        let client = OpenAICompatibleModel(
            endpoint: Endpoint(
                baseURL: server.baseURL, model: "dep",
                authentication: .azure(key: "azure-key-0123456789", apiVersion: "2024-10-21")))
        _ = try await client.complete(Self.hello)
        let request = try #require(server.requests.first)
        #expect(request.header("api-key") == "azure-key-0123456789")
        #expect(request.query == "api-version=2024-10-21")
    }

    @Test func aRejectedJSONSchemaIsDowngradedOnceAndRemembered() async throws {
        let server = try StubServer(
            configuration: .init(rejectJSONSchema: true, responder: { _ in .text(#"{"score": 4}"#) }))
        defer { server.stop() }
        let identifier = "stub-downgrade-\(server.port)"
        let client = Self.client(server, identifier: identifier)
        let schema = try JSONValue.parse(
            #"{"type": "object", "properties": {"score": {"type": "integer"}}, "required": ["score"]}"#)
        let generator = StructuredGenerator(model: client)
        let first = try await generator.generate(Self.hello, schema: schema, name: "s")
        #expect(first.mode == .jsonObjectSchema)
        #expect(server.requestCount == 2)
        _ = try await generator.generate(Self.hello, schema: schema, name: "s")
        #expect(server.requestCount == 3)
        // llama.cpp's form: json_object with the schema, which that server enforces by grammar.
        #expect(server.requests[2].json?["response_format"]?["type"] == "json_object")
        #expect(server.requests[2].json?["response_format"]?["schema"]?["required"] == ["score"])
    }

    @Test func embeddingsComeBackInInputOrder() async throws {
        let server = try StubServer()
        defer { server.stop() }
        let vectors = try await Self.client(server).embed(["alpha", "beta"])
        #expect(vectors.count == 2)
        #expect(vectors[0] == StubServer.defaultEmbedding(for: "alpha"))
        #expect(vectors[1] == StubServer.defaultEmbedding(for: "beta"))
    }

    @Test func theLimiterNeverExceedsItsBound() async throws {
        let server = try StubServer(configuration: .init(latency: 0.02))
        defer { server.stop() }
        let client = Self.client(server, maxInFlight: 5)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<60 {
                group.addTask {
                    _ = try await client.complete(ChatRequest(messages: [.user("n\(i)")]))
                }
            }
            try await group.waitForAll()
        }
        #expect(server.requestCount == 60)
        #expect(server.peakInFlight == 5)
        #expect(client.limiter.peakInFlight == 5)
    }
}

/// The URLSession transport (used for https, http to hosts that are not loopback, and on macOS)
/// against the same faults.
@Suite(.timeLimit(.minutes(1)))
struct URLSessionTransportTests {
    static func client(_ server: StubServer, attempts: Int = 3, timeout: TimeInterval = 30) -> OpenAICompatibleModel {
        OpenAICompatibleModel(
            endpoint: Endpoint(
                baseURL: server.baseURL, model: "stub-model", requestTimeout: timeout,
                retry: RetryPolicy(maxAttempts: attempts, baseDelay: 0.01, maxDelay: 0.05), transport: .urlSession))
    }

    @Test func plainCallsAndRetriedFaultsWork() async throws {
        // The drop hits a reused connection: libcurl resends without the body, and the transport
        // notices and sends once more (see URLSessionCall) instead of hanging until the timeout.
        let server = try StubServer(
            configuration: .init(faults: [.status500, .dropConnection, .truncatedResponse, .malformedJSON]))
        defer { server.stop() }
        let response = try await Self.client(server, attempts: 5, timeout: 30).complete(ClientFaultTests.hello)
        #expect(!response.content.isEmpty)
        #expect(server.requestCount == 5)
    }

    @Test func aTimeoutIsReportedAsTimeout() async throws {
        let server = try StubServer(configuration: .init(faults: [.slow(4)]))
        defer { server.stop() }
        await #expect {
            _ = try await Self.client(server, attempts: 1, timeout: 1).complete(ClientFaultTests.hello)
        } throws: { error in
            (error as? InferenceError)?.code == .timeout
        }
    }

    @Test func cancellationDoesNotDeadlock() async throws {
        let server = try StubServer(configuration: .init(latency: 0.05))
        defer { server.stop() }
        let client = Self.client(server)
        for round in 0..<20 {
            let task = Task { try await client.complete(ChatRequest(messages: [.user("r\(round)")])) }
            try await Task.sleep(for: .milliseconds(round % 3 == 0 ? 1 : 30))
            task.cancel()
            _ = await task.result
        }
        _ = try await client.complete(ClientFaultTests.hello)
    }
}
