public import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Posts JSON to any URL through the same HTTP seam as model calls: the same transports, the same
/// retry loop (``RetryPolicy``, honouring `Retry-After`), a limiter, and cancellation that stops the
/// request on the wire.
///
/// For callers that are not OpenAI-compatible models: an agent behind a webhook, a callback, a
/// results sink. Create one per kind of receiver and share it: it owns a `URLSession` (kept for the
/// life of the process) and the limiter every post waits for.
///
/// ```swift
/// let client = JSONHTTPClient(maxConnections: 4, requestTimeout: 30)
/// let (status, body) = try await client.post(hookURL, json: payload, headers: [("X-Signature", signature)])
/// ```
///
/// Plain `http://` to a loopback host goes through Agora's own socket client on Linux, everything
/// else through URLSession (see ``Endpoint/Transport``).
public final class JSONHTTPClient: Sendable {
    /// The limiter every post goes through (all URLs share it).
    public let limiter: EndpointLimiter
    /// When a failed post is retried.
    public let retry: RetryPolicy
    /// The longest one attempt may take, in seconds (at least 1 s over URLSession).
    public let requestTimeout: TimeInterval
    private let transport: HTTPTransport

    /// Creates a client.
    ///
    /// - Parameters:
    ///   - maxConnections: Connections per host (URLSession allows 6 by default, too few for a wide limiter).
    ///   - requestTimeout: The longest one attempt may take, in seconds.
    ///   - retry: When to retry: 408, 409, 429, 5xx, timeouts and dropped connections are retried.
    ///   - limits: Bounds on posts in flight and per minute; by default `maxConnections` in flight.
    ///   - transport: Which HTTP stack carries the posts (``Endpoint/Transport/automatic`` by default).
    public init(
        maxConnections: Int = 8,
        requestTimeout: TimeInterval = 30,
        retry: RetryPolicy = .standard,
        limits: EndpointLimiter.Limits? = nil,
        transport: Endpoint.Transport = .automatic
    ) {
        self.limiter = EndpointLimiter(limits: limits ?? .init(maxInFlight: maxConnections))
        self.retry = retry
        self.requestTimeout = requestTimeout
        self.transport = HTTPTransport(
            maxConnections: maxConnections, requestTimeout: requestTimeout, transport: transport)
    }

    /// Posts `body` (JSON bytes, sent as they are) to `url` and returns the first answer with a
    /// status below 400.
    ///
    /// `Content-Type: application/json` is sent unless `headers` name another; a header given twice
    /// keeps its last value. A 3xx is returned as it is when the stack does not follow it.
    ///
    /// - Throws: ``InferenceError``: `.cancelled` when the calling task is cancelled (the request
    ///   is cancelled too); `.httpError` for a 4xx that is not retried (the status and the start of
    ///   the answer are in the error); `.retriesExhausted` or `.timeout` when the retries run out;
    ///   `.unreachable` when nothing listens at `url`. Messages name the URL (without its query or
    ///   credentials).
    public func post(
        _ url: URL, json body: Data, headers: [(String, String)] = []
    ) async throws -> (status: Int, body: Data) {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body
        request.timeoutInterval = requestTimeout
        let target = Endpoint.display(url)
        let loop = RetryLoop(
            transport: transport, limiter: limiter, policy: retry, requestTimeout: requestTimeout,
            target: target, model: nil, advice: "Check that the receiver at \(target) is up, or retry later.")
        let result = try await loop.run(request) { result -> AttemptOutcome<HTTPResult> in
            guard result.status >= 400 else { return .success(result) }
            let failure = loop.error(
                .httpError, "POST \(target) answered HTTP \(result.status): \(Self.excerpt(result.body))",
                status: result.status)
            return loop.outcome(forStatus: result, failure: failure)
        }
        return (result.status, result.body)
    }

    /// The start of an answer, on one line, for an error message.
    static func excerpt(_ body: Data) -> String {
        let text = String(decoding: body.prefix(300), as: UTF8.self)
            .split(whereSeparator: \.isNewline).joined(separator: " ")
            .trimmingCharacters(in: .whitespaces)
        if text.isEmpty { return "(empty body)" }
        return body.count > 300 ? text + "…" : text
    }
}
