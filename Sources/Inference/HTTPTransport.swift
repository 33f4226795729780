import Dispatch
import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// What an HTTP exchange returned.
struct HTTPResult: Sendable {
    /// The status code.
    var status: Int
    /// The `Retry-After` header, if any.
    var retryAfter: String?
    /// The body.
    var body: Data
}

/// Sends HTTP requests over one long-lived `URLSession`.
///
/// Why this file looks the way it does (STYLE.md, platform facts):
/// - Cancelling a task that awaits `URLSession.data(for:)` can deadlock the whole process on
///   Swift 6.3 (swift-corelibs-foundation #5412, fixed by #5417, which is not in 6.3.x), and
///   `URLSessionTask.cancel()` racing the task's completion traps in FoundationNetworking's
///   TaskRegistry (seen under load on 6.3.1). So we use `dataTask(with:completionHandler:)` inside a
///   checked continuation and, on cancellation, resume the caller at once and abandon the task
///   (it ends on its own) instead of cancelling it.
/// - A session allows 6 connections per host by default: we raise it to the endpoint's concurrency.
/// - Sessions are never invalidated (teardown crashes on Linux): one per endpoint, for the process.
///
/// On Linux, plain `http://` URLs go through ``SocketHTTPClient`` instead (one epoll loop, keep-alive
/// reuse, sub-second timeouts); `https://` always uses URLSession.
final class HTTPTransport: Sendable {
    private let session: URLSession
    #if os(Linux)
        private let sockets: SocketHTTPClient?
    #endif

    /// Creates a transport allowing `maxConnections` connections per host.
    init(maxConnections: Int, requestTimeout: TimeInterval, useSockets: Bool = true) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = max(1, maxConnections)
        configuration.timeoutIntervalForRequest = requestTimeout
        configuration.timeoutIntervalForResource = max(requestTimeout, 1) * 4
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        session = URLSession(configuration: configuration)
        #if os(Linux)
            sockets = useSockets ? try? SocketHTTPClient() : nil
        #endif
    }

    /// Sends `request`; throws `URLError` for transport failures (including `.cancelled`).
    func send(_ request: URLRequest) async throws -> HTTPResult {
        #if os(Linux)
            if let sockets, request.url?.scheme == "http" {
                return try await sockets.send(request)
            }
        #endif
        var request = request
        // libcurl counts whole seconds: a timeout under 1 s would fire at once.
        request.timeoutInterval = max(1, request.timeoutInterval)
        // On cancellation the caller gets `URLError(.cancelled)` at once and the URLSession task is
        // abandoned (it finishes or times out on its own): calling `URLSessionTask.cancel()` is what
        // deadlocks (#5412) or, when it races the task's completion, traps in TaskRegistry
        // ("a task that is not in the registry"), both seen on Swift 6.3.1.
        let once = ResumeOnce()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResult, any Error>) in
                once.arm(continuation)
                let task = session.dataTask(with: request) { data, response, error in
                    if let error {
                        once.resume(throwing: error)
                    } else if let http = response as? HTTPURLResponse {
                        once.resume(
                            returning: HTTPResult(
                                status: http.statusCode,
                                retryAfter: http.value(forHTTPHeaderField: "Retry-After"),
                                body: data ?? Data()))
                    } else {
                        once.resume(throwing: URLError(.badServerResponse))
                    }
                }
                task.resume()
                // The cancellation handler may have run before the continuation was armed.
                if Task.isCancelled { once.resume(throwing: URLError(.cancelled)) }
            }
        } onCancel: {
            once.resume(throwing: URLError(.cancelled))
        }
    }
}

/// Resumes a continuation exactly once, whichever of completion and cancellation comes first.
private final class ResumeOnce: Sendable {
    private let continuation = Mutex<CheckedContinuation<HTTPResult, any Error>?>(nil)

    func arm(_ c: CheckedContinuation<HTTPResult, any Error>) {
        continuation.withLock { $0 = c }
    }

    func resume(returning value: HTTPResult) {
        take()?.resume(returning: value)
    }

    func resume(throwing error: any Error) {
        take()?.resume(throwing: error)
    }

    private func take() -> CheckedContinuation<HTTPResult, any Error>? {
        continuation.withLock { c -> CheckedContinuation<HTTPResult, any Error>? in
            defer { c = nil }
            return c
        }
    }
}
