import AgoraTesting
import Foundation
import Storage
import Testing

@testable import Inference

@Suite("The OpenAI Batch API client against the stub", .serialized, .timeLimit(.minutes(1)))
struct BatchAPIClientTests {
    static func client(_ stub: StubServer) -> BatchAPIClient {
        BatchAPIClient(
            endpoint: Endpoint(baseURL: stub.baseURL, model: "stub-model", retry: RetryPolicy(maxAttempts: 1)))
    }

    static func requests(_ count: Int) -> [ChatRequest] {
        (1...count).map { ChatRequest(messages: [.user("Question \($0)?")], temperature: 0, maxTokens: 8) }
    }

    @Test("upload (multipart), create, poll validating → in_progress → completed, download: one answer per line")
    func roundTrip() async throws {
        var configuration = StubServer.Configuration()
        configuration.batch = StubBatchOptions(pollsUntilDone: 2, failEvery: 3)
        let stub = try StubServer(configuration: configuration)
        defer { stub.stop() }
        let client = Self.client(stub)
        var jsonl: [UInt8] = []
        for (i, request) in Self.requests(4).enumerated() {
            BatchAPIClient.line(customID: "k\(i)", body: client.body(for: request)).serialize(appendingTo: &jsonl)
            jsonl.append(0x0A)
        }
        let fileID = try await client.upload(Data(jsonl), filename: "wave.jsonl")
        #expect(fileID == "file-1")
        // The stub stored exactly the bytes sent.
        #expect(try await client.content(ofFile: fileID) == Data(jsonl))
        let created = try await client.create(inputFileID: fileID)
        #expect(created.id == "batch_1")
        #expect(created.status == "validating")
        #expect(created.total == 4)
        let first = try await client.retrieve(created.id)
        #expect(first.status == "in_progress")
        #expect(!first.isFinished)
        let done = try await client.retrieve(created.id)
        #expect(done.status == "completed")
        #expect((done.completed, done.failed) == (3, 1))
        let output = BatchAPIClient.results(try await client.content(ofFile: try #require(done.outputFileID)))
        let errors = BatchAPIClient.results(try await client.content(ofFile: try #require(done.errorFileID)))
        #expect(output.map(\.customID) == ["k0", "k1", "k3"])
        #expect(errors.map(\.customID) == ["k2"])
        #expect(errors[0].failure?.hasPrefix("server_error: ") == true)
        // Each answer is what the stub answers that request live.
        let live = OpenAICompatibleModel(endpoint: client.endpoint)
        for result in output {
            let index = Int(result.customID.dropFirst())!
            let direct = try await live.complete(Self.requests(4)[index])
            #expect(result.response?.content == direct.content)
            #expect(result.response?.usage == direct.usage)
        }
        #expect(stub.batchesCreated == 1 && stub.batchPolls == 2 && stub.filesUploaded == 1)
    }

    @Test("a batch or an input file the stub does not know is an HTTP 404 with the server's message")
    func refusals() async throws {
        let stub = try StubServer()
        defer { stub.stop() }
        let client = Self.client(stub)
        do {
            _ = try await client.retrieve("batch_404")
            Issue.record("retrieved a batch that does not exist")
        } catch {
            #expect(error.status == 404)
            #expect(error.message.contains("No such Batch object: batch_404"), "\(error.message)")
        }
        do {
            _ = try await client.create(inputFileID: "file-9")
            Issue.record("created a batch over a file that does not exist")
        } catch {
            #expect(error.status == 404)
        }
    }

    @Test("output lines: a non-2xx status and an unreadable body are failures, unknown lines are skipped")
    func resultLines() {
        let text = """
            {"id":"r1","custom_id":"a","response":{"status_code":200,"body":{"choices":[{"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}},"error":null}
            {"id":"r2","custom_id":"b","response":{"status_code":429,"body":{"error":{"message":"slow down"}}},"error":null}
            {"id":"r3","custom_id":"c","response":{"status_code":200,"body":{"nothing":true}},"error":null}
            not json
            {"id":"r4","custom_id":"d","response":null,"error":{"code":"batch_expired","message":"too late"}}
            """
        let results = BatchAPIClient.results(Data(text.utf8))
        #expect(results.map(\.customID) == ["a", "b", "c", "d"])
        #expect(results[0].response?.content == "hi")
        #expect(results[0].response?.usage.promptTokens == 3)
        #expect(results[1].failure == "HTTP 429: slow down")
        #expect(results[2].response == nil && results[2].failure != nil)
        #expect(results[3].failure == "batch_expired: too late")
    }
}
