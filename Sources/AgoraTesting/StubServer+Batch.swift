import Foundation
import Storage
import Synchronization

/// How a ``StubServer`` runs OpenAI's Batch API (`/v1/files`, `/v1/batches`), with the failures
/// tests need.
public struct StubBatchOptions: Sendable, Hashable {
    /// Retrievals (`GET /v1/batches/{id}`) before a batch finishes: it is `validating` when created,
    /// `in_progress` from the first retrieval, and finished at this one.
    public var pollsUntilDone: Int
    /// When true a batch ends `expired`: only the first half of its requests are answered, the rest
    /// are in the error file with code `batch_expired`.
    public var expire: Bool
    /// When set, every request line whose 1-based position is a multiple of this is in the error
    /// file (code `server_error`) instead of the output file.
    public var failEvery: Int?

    /// Creates options.
    public init(pollsUntilDone: Int = 2, expire: Bool = false, failEvery: Int? = nil) {
        self.pollsUntilDone = max(1, pollsUntilDone)
        self.expire = expire
        self.failEvery = failEvery.map { max(1, $0) }
    }
}

/// The files and batches a stub holds.
struct StubBatchState: Sendable {
    struct File: Sendable {
        var id: String
        var filename: String
        var purpose: String
        var bytes: [UInt8]
    }

    struct Batch: Sendable {
        var id: String
        var inputFileID: String
        var total: Int
        var polls = 0
        var status = "validating"
        var outputFileID: String?
        var errorFileID: String?
        var completed = 0
        var failed = 0
    }

    /// Options set after start (``StubServer/setBatchOptions(_:)``), else the configuration's.
    var options: StubBatchOptions?
    var files: [String: File] = [:]
    var batches: [String: Batch] = [:]
    var nextFile = 1
    var nextBatch = 1
    var uploads = 0
    var creations = 0
    var polls = 0
}

extension StubServer {
    /// Batches created (`POST /v1/batches`) since the server started.
    public var batchesCreated: Int { core.state.withLock { $0.batch.creations } }
    /// Batch retrievals (`GET /v1/batches/{id}`) since the server started.
    public var batchPolls: Int { core.state.withLock { $0.batch.polls } }
    /// Files uploaded (`POST /v1/files`) since the server started.
    public var filesUploaded: Int { core.state.withLock { $0.batch.uploads } }
    /// Replaces the batch options for retrievals from now on (a test that lets a batch finish
    /// only once the client that created it was killed).
    public func setBatchOptions(_ options: StubBatchOptions) {
        core.state.withLock { $0.batch.options = options }
    }

    /// The status of each batch, by id order (`batch_1`, `batch_2`, …).
    public var batchStatuses: [String] {
        core.state.withLock { s in
            s.batch.batches.values.sorted { $0.id.count == $1.id.count ? $0.id < $1.id : $0.id.count < $1.id.count }
                .map(\.status)
        }
    }
}

extension StubServerCore {
    /// The reply to a Batch API request: upload, file content, create, retrieve.
    func batchReply(to request: StubRequest) -> StubReply {
        var trimmed = Substring(request.path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        var parts = trimmed.split(separator: "/").map(String.init)
        if parts.first == "v1" { parts.removeFirst() }
        switch (request.method, parts.count, parts.first) {
        case ("POST", 1, "files"): return upload(request)
        case ("GET", 3, "files") where parts[2] == "content": return content(parts[1])
        case ("POST", 1, "batches"): return create(request)
        case ("GET", 2, "batches"): return retrieve(parts[1])
        default:
            return .error(status: 404, message: "Invalid URL (\(request.method) \(request.path))")
        }
    }

    private func upload(_ request: StubRequest) -> StubReply {
        guard let type = request.header("Content-Type"), let range = type.range(of: "boundary=") else {
            return .error(status: 400, message: "Send the file as multipart/form-data with a boundary.")
        }
        let boundary = String(type[range.upperBound...]).trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        let fields = Self.multipart(request.body, boundary: boundary)
        guard let file = fields.first(where: { $0.name == "file" }) else {
            return .error(status: 400, message: "The multipart body has no `file` part.")
        }
        let purpose = fields.first { $0.name == "purpose" }.map { String(decoding: $0.bytes, as: UTF8.self) } ?? ""
        guard purpose == "batch" else {
            return .error(
                status: 400, message: "`purpose` must be \"batch\" for a batch input file, got \"\(purpose)\".")
        }
        let stored = state.withLock { s -> StubBatchState.File in
            let id = "file-\(s.batch.nextFile)"
            s.batch.nextFile += 1
            s.batch.uploads += 1
            let stored = StubBatchState.File(
                id: id, filename: file.filename ?? "upload.jsonl", purpose: purpose, bytes: file.bytes)
            s.batch.files[id] = stored
            return stored
        }
        return Self.json([
            "id": .string(stored.id), "object": "file", "bytes": .integer(Int64(stored.bytes.count)), "created_at": 0,
            "filename": .string(stored.filename), "purpose": .string(stored.purpose),
        ])
    }

    private func content(_ id: String) -> StubReply {
        guard let file = state.withLock({ $0.batch.files[id] }) else {
            return .error(status: 404, message: "No such File object: \(id)")
        }
        return .raw(status: 200, headers: [("Content-Type", "application/octet-stream")], body: file.bytes)
    }

    private func create(_ request: StubRequest) -> StubReply {
        guard let json = request.json, let fileID = json["input_file_id"]?.stringValue else {
            return .error(status: 400, message: "`input_file_id` is required.")
        }
        guard json["endpoint"]?.stringValue == "/v1/chat/completions" else {
            return .error(status: 400, message: "This stub batches `/v1/chat/completions` only.")
        }
        guard json["completion_window"]?.stringValue == "24h" else {
            return .error(status: 400, message: "`completion_window` must be \"24h\".")
        }
        let batch = state.withLock { s -> StubBatchState.Batch? in
            guard let file = s.batch.files[fileID] else { return nil }
            let lines = file.bytes.split(separator: 0x0A).filter { !$0.isEmpty }.count
            let batch = StubBatchState.Batch(id: "batch_\(s.batch.nextBatch)", inputFileID: fileID, total: lines)
            s.batch.nextBatch += 1
            s.batch.creations += 1
            s.batch.batches[batch.id] = batch
            return batch
        }
        guard let batch else { return .error(status: 404, message: "No such File object: \(fileID)") }
        return Self.json(Self.object(batch))
    }

    private func retrieve(_ id: String) -> StubReply {
        let (found, due) = state.withLock { s -> (StubBatchState.Batch?, Bool) in
            let options = s.batch.options ?? configuration.batch
            guard var batch = s.batch.batches[id] else { return (nil, false) }
            s.batch.polls += 1
            batch.polls += 1
            let finished = ["completed", "expired", "failed", "cancelled"].contains(batch.status)
            if !finished { batch.status = batch.polls >= options.pollsUntilDone ? "finalizing" : "in_progress" }
            s.batch.batches[id] = batch
            return (batch, !finished && batch.polls >= options.pollsUntilDone)
        }
        guard var batch = found else { return .error(status: 404, message: "No such Batch object: \(id)") }
        if due { batch = finalize(batch) }
        return Self.json(Self.object(batch))
    }

    /// Answers every request of the batch with the responder and writes the output and error files.
    private func finalize(_ batch: StubBatchState.Batch) -> StubBatchState.Batch {
        let (input, responder, options) = state.withLock {
            ($0.batch.files[batch.inputFileID]?.bytes ?? [], $0.responder, $0.batch.options ?? configuration.batch)
        }
        var output: [UInt8] = []
        var errors: [UInt8] = []
        var completed = 0
        var failed = 0
        let lines = input.split(separator: 0x0A).filter { !$0.isEmpty }
        for (offset, raw) in lines.enumerated() {
            let position = offset + 1
            let line = try? JSONValue.parse(bytes: Array(raw))
            let customID = line?["custom_id"] ?? .null
            func error(_ code: String, _ message: String) {
                let entry: JSONValue = [
                    "id": .string("batch_req_\(position)"), "custom_id": customID, "response": nil,
                    "error": ["code": .string(code), "message": .string(message)],
                ]
                entry.serialize(appendingTo: &errors)
                errors.append(0x0A)
                failed += 1
            }
            if options.expire, offset >= lines.count / 2 {
                error("batch_expired", "This request could not be executed before the completion window expired.")
                continue
            }
            if let every = options.failEvery, position % every == 0 {
                error("server_error", "The server had an error processing this request (stub partial error).")
                continue
            }
            guard let body = line?["body"], body.objectValue != nil else {
                error("invalid_request", "The line has no JSON `body`.")
                continue
            }
            let bytes = Array(body.serialized().utf8)
            let request = StubRequest(
                sequence: 0, method: "POST", path: "/v1/chat/completions", body: bytes, json: body)
            var status = 200
            var answer: JSONValue = .null
            switch configuration.imitation.shape(responder(request), for: request) {
            case .chat(let content, let calls, let reason, let promptTokens, let completionTokens):
                let encoded = StubServer.chatBody(
                    id: "chatcmpl-batch-\(position)", model: body["model"]?.stringValue ?? configuration.modelName,
                    content: content, toolCalls: calls, finishReason: reason, promptTokens: promptTokens,
                    completionTokens: completionTokens)
                answer = (try? JSONValue.parse(bytes: encoded)) ?? .null
            case .error(let code, let message, _):
                status = code
                answer = (try? JSONValue.parse(bytes: StubServer.errorBody(status: code, message: message))) ?? .null
            default:
                error("server_error", "The stub's responder gave a reply a batch cannot carry.")
                continue
            }
            let entry: JSONValue = [
                "id": .string("batch_req_\(position)"), "custom_id": customID,
                "response": [
                    "status_code": .integer(Int64(status)), "request_id": .string("req_\(position)"), "body": answer,
                ],
                "error": nil,
            ]
            entry.serialize(appendingTo: &output)
            output.append(0x0A)
            if status == 200 { completed += 1 } else { failed += 1 }
        }
        return state.withLock { s in
            var final = s.batch.batches[batch.id] ?? batch
            guard final.status == "finalizing" else { return final }
            let outputID = "file-\(s.batch.nextFile)"
            s.batch.files[outputID] = .init(
                id: outputID, filename: "output.jsonl", purpose: "batch_output", bytes: output)
            s.batch.nextFile += 1
            final.outputFileID = outputID
            if !errors.isEmpty {
                let errorID = "file-\(s.batch.nextFile)"
                s.batch.files[errorID] = .init(
                    id: errorID, filename: "errors.jsonl", purpose: "batch_output", bytes: errors)
                s.batch.nextFile += 1
                final.errorFileID = errorID
            }
            final.completed = completed
            final.failed = failed
            final.status = options.expire ? "expired" : "completed"
            s.batch.batches[batch.id] = final
            return final
        }
    }

    static func object(_ batch: StubBatchState.Batch) -> JSONValue {
        [
            "id": .string(batch.id), "object": "batch", "endpoint": "/v1/chat/completions", "errors": nil,
            "input_file_id": .string(batch.inputFileID), "completion_window": "24h", "status": .string(batch.status),
            "output_file_id": batch.outputFileID.map { .string($0) } ?? nil,
            "error_file_id": batch.errorFileID.map { .string($0) } ?? nil, "created_at": 0,
            "request_counts": [
                "total": .integer(Int64(batch.total)), "completed": .integer(Int64(batch.completed)),
                "failed": .integer(Int64(batch.failed)),
            ],
        ]
    }

    static func json(_ value: JSONValue) -> StubReply {
        .raw(status: 200, headers: [], body: Array(value.serialized().utf8))
    }

    /// The parts of a multipart/form-data body: name, filename and content.
    static func multipart(_ body: [UInt8], boundary: String) -> [(name: String, filename: String?, bytes: [UInt8])] {
        let delimiter = Array("--\(boundary)".utf8)
        var starts: [Int] = []
        var i = 0
        while i + delimiter.count <= body.count {
            if body[i] == delimiter[0], Array(body[i..<(i + delimiter.count)]) == delimiter {
                starts.append(i)
                i += delimiter.count
            } else {
                i += 1
            }
        }
        var parts: [(name: String, filename: String?, bytes: [UInt8])] = []
        for (index, start) in starts.enumerated() where index + 1 < starts.count {
            var part = Array(body[(start + delimiter.count)..<starts[index + 1]])
            if part.starts(with: [0x0D, 0x0A]) { part.removeFirst(2) }
            if part.count >= 2, part[part.count - 2] == 0x0D, part[part.count - 1] == 0x0A { part.removeLast(2) }
            guard
                let split = (0..<max(0, part.count - 3)).first(where: {
                    Array(part[$0..<($0 + 4)]) == [13, 10, 13, 10]
                })
            else { continue }
            let head = String(decoding: part[0..<split], as: UTF8.self)
            func attribute(_ key: String) -> String? {
                guard let range = head.range(of: "\(key)=\"") else { return nil }
                let rest = head[range.upperBound...]
                return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
            }
            guard let name = attribute("name") else { continue }
            parts.append((name, attribute("filename"), Array(part[(split + 4)...])))
        }
        return parts
    }
}
