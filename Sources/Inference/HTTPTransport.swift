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
///   Swift 6.3 (swift-corelibs-foundation #5412, fixed by #5417, which is not in 6.3.x). So we use
///   `dataTask(with:completionHandler:)` inside a checked continuation, keep the task in a
///   `Mutex` box, and on cancellation only *schedule* `task.cancel()` on a global queue.
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
        let box = TaskBox()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResult, any Error>) in
                let task = session.dataTask(with: request) { data, response, error in
                    if let error {
                        continuation.resume(throwing: error)
                        return
                    }
                    guard let http = response as? HTTPURLResponse else {
                        continuation.resume(throwing: URLError(.badServerResponse))
                        return
                    }
                    continuation.resume(
                        returning: HTTPResult(
                            status: http.statusCode,
                            retryAfter: http.value(forHTTPHeaderField: "Retry-After"),
                            body: data ?? Data()
                        )
                    )
                }
                box.store(task)
                task.resume()
                // The cancellation handler may have run before the task was stored.
                if Task.isCancelled { box.scheduleCancel() }
            }
        } onCancel: {
            box.scheduleCancel()
        }
    }
}

/// Holds the data task so the cancellation handler can reach it.
///
/// `@unchecked Sendable`: all access goes through the `Mutex`; `URLSessionDataTask.cancel()` is
/// thread-safe and is only ever called from a global queue, never from the cancelling task.
private final class TaskBox: @unchecked Sendable {
    private let state = Mutex<(task: URLSessionDataTask?, cancelRequested: Bool)>((nil, false))

    func store(_ task: URLSessionDataTask) {
        let cancelNow = state.withLock { s -> Bool in
            s.task = task
            return s.cancelRequested
        }
        if cancelNow { scheduleCancel() }
    }

    func scheduleCancel() {
        let task = state.withLock { s -> URLSessionDataTask? in
            s.cancelRequested = true
            return s.task
        }
        guard let task else { return }
        DispatchQueue.global().async { task.cancel() }
    }
}
