#if os(Linux)
    import AgoraTesting
    import Foundation
    import Inference
    import Storage
    import Testing

    @testable import Inference

    @Suite struct HTTPResponseParserTests {
        static func parse(_ text: String, closed: Bool = false) -> HTTPResponseParser.Outcome {
            HTTPResponseParser.parse(Array(text.utf8), connectionClosed: closed)
        }

        @Test func aContentLengthBodyIsFramedExactly() throws {
            guard
                case .complete(let result, let keepAlive) = Self.parse(
                    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiEXTRA")
            else {
                Issue.record("not complete")
                return
            }
            #expect(result.status == 200)
            #expect(String(decoding: result.body, as: UTF8.self) == "hi")
            #expect(keepAlive)
        }

        @Test func aPartialBodyNeedsMore() {
            guard case .needMore = Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhi") else {
                Issue.record("expected needMore")
                return
            }
        }

        @Test func chunkedBodiesAreJoined() {
            let text =
                "HTTP/1.1 429 Too Many\r\nTransfer-Encoding: chunked\r\nRetry-After: 2\r\n\r\n3\r\nabc\r\n4;x=y\r\ndefg\r\n0\r\n\r\n"
            guard case .complete(let result, _) = Self.parse(text) else {
                Issue.record("not complete")
                return
            }
            #expect(result.status == 429)
            #expect(result.retryAfter == "2")
            #expect(String(decoding: result.body, as: UTF8.self) == "abcdefg")
        }

        @Test func connectionCloseAndUnframedBodiesEndWithTheConnection() {
            guard
                case .complete(_, let keepAlive) = Self.parse(
                    "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
            else {
                Issue.record("not complete")
                return
            }
            #expect(!keepAlive)
            guard case .needMore = Self.parse("HTTP/1.1 200 OK\r\n\r\nbody") else {
                Issue.record("expected needMore")
                return
            }
            guard case .complete(let result, false) = Self.parse("HTTP/1.1 200 OK\r\n\r\nbody", closed: true) else {
                Issue.record("not complete")
                return
            }
            #expect(String(decoding: result.body, as: UTF8.self) == "body")
        }

        @Test func garbageIsInvalid() {
            guard case .invalid = Self.parse("SMTP ready\r\n\r\n") else {
                Issue.record("expected invalid")
                return
            }
        }
    }

    @Suite(.timeLimit(.minutes(1)))
    struct SocketClientTests {
        static func client(_ server: StubServer, timeout: TimeInterval = 30, attempts: Int = 1) -> OpenAICompatibleModel
        {
            OpenAICompatibleModel(
                endpoint: Endpoint(
                    baseURL: server.baseURL, model: "stub-model", requestTimeout: timeout,
                    retry: RetryPolicy(maxAttempts: attempts, baseDelay: 0.01, maxDelay: 0.02)))
        }

        @Test func sequentialCallsReuseOneConnection() async throws {
            let server = try StubServer()
            defer { server.stop() }
            let client = Self.client(server)
            for i in 0..<10 { _ = try await client.complete(ChatRequest(messages: [.user("q\(i)")])) }
            #expect(server.requestCount == 10)
            #expect(server.connectionCount == 1)
        }

        @Test func aReusedConnectionTheServerDroppedIsRetriedOnAFreshOneWithoutUsingARetry() async throws {
            let server = try StubServer()
            defer { server.stop() }
            let client = Self.client(server, attempts: 1)
            _ = try await client.complete(ChatRequest(messages: [.user("first")]))
            server.injectFaults([.dropConnection])
            _ = try await client.complete(ChatRequest(messages: [.user("second")]))
            #expect(server.requestCount == 3)
            #expect(server.connectionCount == 2)
        }

        @Test func subSecondTimeoutsAreHonoured() async throws {
            let server = try StubServer(configuration: .init(faults: [.slow(20)]))
            defer { server.stop() }
            var endpoint = Self.client(server).endpoint
            endpoint.requestTimeout = 0.3
            let client = OpenAICompatibleModel(endpoint: endpoint)
            let clock = ContinuousClock()
            let start = clock.now
            await #expect {
                _ = try await client.complete(ChatRequest(messages: [.user("slow")]))
            } throws: { error in
                (error as? InferenceError)?.code == .timeout
            }
            let elapsed = clock.now - start
            #expect(elapsed >= .milliseconds(250))
            #expect(elapsed < .seconds(10))
        }

        @Test func cancellingACallEndsItPromptly() async throws {
            let server = try StubServer(configuration: .init(faults: [.slow(30)]))
            defer { server.stop() }
            let client = Self.client(server)
            let clock = ContinuousClock()
            let start = clock.now
            let task = Task { try await client.complete(ChatRequest(messages: [.user("slow")])) }
            try await Task.sleep(for: .milliseconds(200))
            task.cancel()
            let result = await task.result
            #expect(clock.now - start < .seconds(15))
            guard case .failure(let error) = result else {
                Issue.record("a cancelled call must fail")
                return
            }
            #expect((error as? InferenceError)?.code == .cancelled)
        }
    }
#endif
