public import Foundation
public import Storage

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A batch as the OpenAI Batch API reports it (`GET /v1/batches/{id}`).
public struct BatchJob: Sendable, Hashable {
    /// The batch id (`batch_…`).
    public var id: String
    /// `validating`, `failed`, `in_progress`, `finalizing`, `completed`, `expired`, `cancelling`
    /// or `cancelled`.
    public var status: String
    /// The file of answered requests, once there is one.
    public var outputFileID: String?
    /// The file of requests that failed, once there is one.
    public var errorFileID: String?
    /// Requests in the batch.
    public var total: Int
    /// Requests answered so far.
    public var completed: Int
    /// Requests failed so far.
    public var failed: Int
    /// The batch's own errors (a file that failed validation), as text.
    public var errors: [String]

    /// Whether the batch will not change any more: `completed`, `failed`, `expired` or `cancelled`.
    public var isFinished: Bool { ["completed", "failed", "expired", "cancelled"].contains(status) }

    /// Reads a batch object; `nil` when it has no `id` or `status`.
    static func decode(_ value: JSONValue) -> BatchJob? {
        guard let id = value["id"]?.stringValue, let status = value["status"]?.stringValue else { return nil }
        let counts = value["request_counts"]
        let errors = (value["errors"]?["data"]?.arrayValue ?? []).map { error -> String in
            let line = error["line"]?.intValue.map { "line \($0): " } ?? ""
            return line + (error["message"]?.stringValue ?? error["code"]?.stringValue ?? "unknown error")
        }
        return BatchJob(
            id: id, status: status, outputFileID: value["output_file_id"]?.stringValue,
            errorFileID: value["error_file_id"]?.stringValue, total: Int(counts?["total"]?.intValue ?? 0),
            completed: Int(counts?["completed"]?.intValue ?? 0), failed: Int(counts?["failed"]?.intValue ?? 0),
            errors: errors)
    }
}

/// One line of a batch's output or error file: the answer to the request with this `custom_id`,
/// or why there is none.
public struct BatchResult: Sendable {
    /// The request's `custom_id`.
    public var customID: String
    /// The answer, when the request was answered with a 2xx chat completion.
    public var response: ChatResponse?
    /// Why there is no answer (an error line, a non-2xx status, an unreadable body).
    public var failure: String?
}

/// The OpenAI Batch API on one endpoint: upload a JSONL file of requests (`POST /files`, purpose
/// `batch`), create a batch over it (`POST /batches`, window `24h`), poll it (`GET /batches/{id}`)
/// and download its output and error files (`GET /files/{id}/content`).
///
/// Every request goes through the one HTTP seam (``HTTPTransport``) and retry loop, with the
/// endpoint's key; the key is never written into the files.
public struct BatchAPIClient: Sendable {
    /// The endpoint the batch runs on (its model and dialect shape each request body).
    public let endpoint: Endpoint
    private let retries: RetryLoop

    /// What a batched request costs against the list price: OpenAI's Batch API charges half.
    public static let priceFactor = 0.5

    /// The path every request of a chat batch names.
    public static let chatPath = "/v1/chat/completions"

    /// Creates a client for `endpoint`.
    public init(endpoint: Endpoint) {
        self.endpoint = endpoint
        retries = RetryLoop(
            transport: HTTPTransport(maxConnections: 2, requestTimeout: max(60, endpoint.requestTimeout)),
            limiter: EndpointLimiter(limits: .init(maxInFlight: 2)), policy: endpoint.retry,
            requestTimeout: max(60, endpoint.requestTimeout), target: endpoint.displayURL, model: endpoint.model,
            advice: "Check that the endpoint offers the Batch API (/v1/files, /v1/batches), or run without --batch.")
    }

    /// The request body a chat request is sent with on this endpoint (as the live client sends it).
    public func body(for request: ChatRequest) -> JSONValue {
        OpenAIWire.chatBody(request, model: endpoint.model, dialect: endpoint.dialect)
    }

    /// One line of the input file: `custom_id`, `method`, `url`, `body`.
    public static func line(customID: String, body: JSONValue) -> JSONValue {
        .object(
            JSONObject([
                ("custom_id", .string(customID)), ("method", "POST"), ("url", .string(chatPath)), ("body", body),
            ]))
    }

    /// Uploads `jsonl` as a batch input file named `filename`; returns the file id.
    public func upload(_ jsonl: Data, filename: String) async throws(InferenceError) -> String {
        let boundary = "agora-batch-\(SHA256.hex(String(decoding: jsonl.prefix(4096), as: UTF8.self)).prefix(24))"
        var body = Data()
        func text(_ s: String) { body.append(contentsOf: Array(s.utf8)) }
        text("--\(boundary)\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n")
        text(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\nContent-Type: application/jsonl\r\n\r\n"
        )
        body.append(jsonl)
        text("\r\n--\(boundary)--\r\n")
        let answer = try await send(
            "POST", path: "files", body: body, contentType: "multipart/form-data; boundary=\(boundary)")
        guard let id = answer["id"]?.stringValue else {
            throw retries.error(.malformedResponse, "the file upload answered without an `id`")
        }
        return id
    }

    /// Creates a batch of chat completions over the uploaded file `inputFileID`.
    public func create(inputFileID: String, metadata: [(String, String)] = []) async throws(InferenceError)
        -> BatchJob
    {
        var request = JSONObject([
            ("input_file_id", .string(inputFileID)), ("endpoint", .string(Self.chatPath)),
            ("completion_window", "24h"),
        ])
        if !metadata.isEmpty {
            request["metadata"] = .object(JSONObject(metadata.map { ($0.0, JSONValue.string($0.1)) }))
        }
        let answer = try await send(
            "POST", path: "batches", body: Data(JSONValue.object(request).serializedBytes()),
            contentType: "application/json")
        guard let job = BatchJob.decode(answer) else {
            throw retries.error(.malformedResponse, "creating the batch answered without an `id` and `status`")
        }
        return job
    }

    /// The batch's state now.
    public func retrieve(_ id: String) async throws(InferenceError) -> BatchJob {
        let answer = try await send("GET", path: "batches/\(id)", body: nil, contentType: nil)
        guard let job = BatchJob.decode(answer) else {
            throw retries.error(.malformedResponse, "the batch \(id) answered without an `id` and `status`")
        }
        return job
    }

    /// The content of a file (a batch's output or error file).
    public func content(ofFile id: String) async throws(InferenceError) -> Data {
        try await sendRaw("GET", path: "files/\(id)/content", body: nil, contentType: nil)
    }

    /// Reads the lines of an output or error file; lines that are not JSON objects with a
    /// `custom_id` are skipped.
    public static func results(_ data: Data) -> [BatchResult] {
        var results: [BatchResult] = []
        for line in data.split(separator: 0x0A) where !line.isEmpty {
            guard let value = try? JSONValue.parse(Data(line)), let id = value["custom_id"]?.stringValue else {
                continue
            }
            if let error = value["error"], error != .null {
                let message = error["message"]?.stringValue ?? error.serialized()
                let code = error["code"]?.stringValue.map { "\($0): " } ?? ""
                results.append(BatchResult(customID: id, response: nil, failure: code + message))
                continue
            }
            let status = Int(value["response"]?["status_code"]?.intValue ?? 0)
            guard (200...299).contains(status), let body = value["response"]?["body"] else {
                let message = value["response"]?["body"].map { OpenAIWire.serverMessage(Data($0.serializedBytes())) }
                results.append(
                    BatchResult(customID: id, response: nil, failure: "HTTP \(status): \(message ?? "no body")"))
                continue
            }
            do throws(OpenAIWire.WireError) {
                let response = try OpenAIWire.decodeChat(Data(body.serializedBytes()))
                results.append(BatchResult(customID: id, response: response, failure: nil))
            } catch {
                results.append(BatchResult(customID: id, response: nil, failure: error.message))
            }
        }
        return results
    }

    private func send(_ method: String, path: String, body: Data?, contentType: String?)
        async throws(InferenceError) -> JSONValue
    {
        let data = try await sendRaw(method, path: path, body: body, contentType: contentType)
        guard let value = try? JSONValue.parse(data) else {
            throw retries.error(.malformedResponse, "\(method) \(path) answered with a body that is not JSON")
        }
        return value
    }

    private func sendRaw(_ method: String, path: String, body: Data?, contentType: String?)
        async throws(InferenceError) -> Data
    {
        var request = URLRequest(url: endpoint.url(for: path))
        request.httpMethod = method
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        endpoint.authorize(&request)
        request.httpBody = body
        request.timeoutInterval = max(60, endpoint.requestTimeout)
        do {
            return try await retries.run(request) { result -> AttemptOutcome<Data> in
                if (200...299).contains(result.status) { return .success(result.body) }
                let failure = retries.error(
                    .httpError, "\(method) \(path): \(OpenAIWire.serverMessage(result.body))", status: result.status)
                return retries.outcome(forStatus: result, failure: failure)
            }
        } catch let error as InferenceError {
            throw error
        } catch {
            throw retries.error(.retriesExhausted, "\(method) \(path): \(error)")
        }
    }
}
