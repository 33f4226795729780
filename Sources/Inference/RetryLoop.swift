import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// What one attempt of a retried call came to.
enum AttemptOutcome<Value> {
    /// Done: return this.
    case success(Value)
    /// A transient failure: try again after the backoff, or after `retryAfter` if the server said so.
    case retry(InferenceError, retryAfter: TimeInterval?)
    /// A failure that another attempt would not fix.
    case fatal(InferenceError)
}

/// The one retry loop of Inference: model calls (``OpenAICompatibleModel``) and JSON posts
/// (``JSONHTTPClient``) both send through it.
///
/// Each attempt takes a slot of the limiter (released while waiting to retry), goes through the
/// transport, and is classified by the caller (HTTP statuses) or here (transport errors). Retries
/// follow the ``RetryPolicy``: full-jitter backoff, at least the server's `Retry-After`, giving up
/// at once when that is longer than the policy allows. Cancellation, whether it hits the limiter,
/// the transport or a backoff, ends in ``InferenceError/Code/cancelled``.
struct RetryLoop: Sendable {
    /// The stack that carries each attempt.
    var transport: HTTPTransport
    /// The limiter each attempt waits for.
    var limiter: EndpointLimiter
    /// When to retry.
    var policy: RetryPolicy
    /// The request timeout, as named in timeout errors.
    var requestTimeout: TimeInterval
    /// Where the calls go, without credentials: named in errors (their `endpoint`).
    var target: String
    /// The model, for errors (their `model`), if the calls are model calls.
    var model: String?
    /// What to try when the retries run out, appended to that error's message.
    var advice: String

    /// An error with this loop's context (endpoint and model).
    func error(
        _ code: InferenceError.Code, _ message: String, status: Int? = nil, underlying: (any Error & Sendable)? = nil
    ) -> InferenceError {
        InferenceError(code, message, status: status, endpoint: target, model: model, underlying: underlying)
    }

    /// Sends `request` until `classify` accepts an answer, a failure is fatal, or the attempts run out.
    ///
    /// - Throws: ``InferenceError`` only.
    func run<T>(
        _ request: URLRequest, estimatedTokens: Int = 0, classify: (HTTPResult) -> AttemptOutcome<T>
    ) async throws -> T {
        var random = SystemRandomNumberGenerator()
        var lastFailure = "no attempt was made"
        var lastStatus: Int?
        var lastCode: InferenceError.Code = .retriesExhausted
        for attempt in 0..<policy.maxAttempts {
            let outcome: AttemptOutcome<T>
            do {
                let result = try await limiter.run(estimatedTokens: estimatedTokens) {
                    try await transport.send(request)
                }
                outcome = classify(result)
            } catch let urlError as URLError {
                outcome = self.outcome(for: urlError)
            } catch is CancellationError {
                throw error(.cancelled, "the call was cancelled")
            } catch {
                outcome = .retry(self.error(.retriesExhausted, "transport error: \(error)"), retryAfter: nil)
            }
            switch outcome {
            case .success(let value):
                return value
            case .fatal(let failure):
                throw failure
            case .retry(let failure, let retryAfter):
                lastFailure = failure.message
                lastStatus = failure.status
                lastCode = failure.code == .timeout ? .timeout : .retriesExhausted
                guard attempt + 1 < policy.maxAttempts else { break }
                var delay = policy.backoff(retry: attempt, random: &random)
                if let retryAfter {
                    guard retryAfter <= policy.maxRetryAfter else {
                        throw error(
                            .retriesExhausted,
                            "the server asked to wait \(Int(retryAfter)) s (Retry-After), longer than the \(Int(policy.maxRetryAfter)) s allowed; \(failure.message)",
                            status: failure.status)
                    }
                    delay = max(delay, retryAfter)
                }
                do {
                    try await Task.sleep(for: .seconds(delay))
                } catch {
                    throw self.error(.cancelled, "the call was cancelled while waiting to retry")
                }
            }
        }
        let attempts = policy.maxAttempts
        throw error(
            lastCode,
            "gave up after \(attempts) attempt\(attempts == 1 ? "" : "s"): \(lastFailure). \(advice)",
            status: lastStatus)
    }

    /// The generic reading of a status that is not a success: 408, 409, 429 and 5xx are retried
    /// (after `Retry-After` if given), anything else is fatal. `failure` says what went wrong.
    func outcome<T>(forStatus result: HTTPResult, failure: InferenceError) -> AttemptOutcome<T> {
        guard RetryPolicy.isRetryable(status: result.status) else { return .fatal(failure) }
        return .retry(failure, retryAfter: result.retryAfter.flatMap { RetryPolicy.parseRetryAfter($0) })
    }

    /// How a transport failure is treated: cancellation and unreachable hosts end the call, timeouts
    /// and dropped connections are retried.
    func outcome<T>(for urlError: URLError) -> AttemptOutcome<T> {
        switch urlError.code {
        case .cancelled:
            return .fatal(error(.cancelled, "the call was cancelled"))
        case .timedOut:
            return .retry(
                error(.timeout, "no answer within \(Int(requestTimeout)) s", underlying: urlError), retryAfter: nil)
        case .networkConnectionLost, .badServerResponse, .cannotParseResponse,
            .dataNotAllowed, .resourceUnavailable:
            return .retry(
                error(.retriesExhausted, "the connection dropped (\(urlError.code.rawValue))", underlying: urlError),
                retryAfter: nil)
        case .cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet:
            return .fatal(
                error(
                    .unreachable, "cannot connect to \(target): is the server running and the URL right?",
                    underlying: urlError))
        case .unsupportedURL, .badURL:
            return .fatal(error(.invalidConfiguration, "the URL \(target) is not usable", underlying: urlError))
        default:
            return .retry(
                error(
                    .retriesExhausted, "transport error \(urlError.code.rawValue): \(urlError.localizedDescription)",
                    underlying: urlError),
                retryAfter: nil)
        }
    }
}
