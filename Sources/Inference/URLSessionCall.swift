import Dispatch
import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One request on a `URLSession`: resumes its caller exactly once, really stops the request when the
/// caller is cancelled, and notices a dead keep-alive connection at once. ``HTTPTransport`` is its
/// only user.
///
/// Everything here works around FoundationNetworking on Swift 6.3 (STYLE.md, platform facts); keep
/// these workarounds in this file.
///
/// **Cancellation (swift-corelibs-foundation #5412).** Cancelling a task that awaits
/// `URLSession.data(for:)` can deadlock the whole process; the fix (#5417) is not in 6.3.x. So the
/// request is a `dataTask(with:completionHandler:)` inside a checked continuation inside
/// `withTaskCancellationHandler`, and the task sits in this object's `Mutex`. On cancellation the
/// caller is resumed at once with `URLError(.cancelled)`, and `URLSessionTask.cancel()` is
/// *scheduled* on a global queue, never called from the cancellation handler: libcurl then closes
/// the connection, so the server stops working (and billing) for nobody. `cancel()` is called at
/// most once and only while the completion handler has not run; the task is stored only after
/// `resume()`, and the cancellation is checked again once it is stored (the handler may have run
/// before there was a task to cancel: the `Task.isCancelled` re-check, under the same lock as the
/// handler, so without a window). The session has no URL cache: with one, corelibs looks the request
/// up on a background queue, and a cancel landing in that window traps in its task registry.
/// (Checked: 96,000 requests, 32 at a time, about 17,000 of them cancelled at random moments around
/// completion, without a trap or a hang.)
///
/// **Dead keep-alive connections.** When a reused connection dies before the response starts (the
/// server closed it as the request went out), libcurl silently resends the request on a new
/// connection, but FoundationNetworking cannot rewind a `Data` body, so the resend goes out without
/// its body and both sides wait: the client until its timeout (600 s by default for model calls).
/// At exactly that moment corelibs asks the task's delegate for a new body stream
/// (`urlSession(_:task:needNewBodyStream:)`). This object is that delegate: it declines, cancels the
/// task and fails with ``ReusedConnectionDied``, which ``HTTPTransport`` answers by sending the
/// request once more at once. (A stream body would let libcurl rewind, but it turns every request
/// into `Transfer-Encoding: chunked`, which not every server accepts.)
///
/// `@unchecked Sendable`: an `NSObject` subclass (to be a task delegate) whose only state is the
/// `Mutex` below.
final class URLSessionCall: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    /// libcurl found the request's reused connection dead before any answer; see the type's docs.
    struct ReusedConnectionDied: Error {}

    private struct State {
        var continuation: CheckedContinuation<HTTPResult, any Error>?
        /// The task, once resumed.
        var task: URLSessionDataTask?
        /// The caller was resumed without an answer (cancelled, or the connection died).
        var abandoned = false
        /// The completion handler ran.
        var completed = false
        /// `cancel()` was scheduled or called.
        var cancelIssued = false

        /// Whether the task is to be cancelled now; at most once, never after completion.
        mutating func takeCancel() -> URLSessionDataTask? {
            guard abandoned, !completed, !cancelIssued, let task else { return nil }
            cancelIssued = true
            return task
        }

        /// Hands out the continuation once.
        mutating func takeContinuation() -> CheckedContinuation<HTTPResult, any Error>? {
            defer { continuation = nil }
            return continuation
        }
    }

    private let state = Mutex(State())

    /// Sends `request` on `session`; throws `URLError` (`.cancelled` when the caller is cancelled)
    /// or ``ReusedConnectionDied``.
    static func send(_ request: URLRequest, on session: URLSession) async throws -> HTTPResult {
        let call = URLSessionCall()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResult, any Error>) in
                call.start(request, on: session, continuation: continuation)
            }
        } onCancel: {
            call.abandon(throwing: URLError(.cancelled))
        }
    }

    private func start(
        _ request: URLRequest, on session: URLSession, continuation: CheckedContinuation<HTTPResult, any Error>
    ) {
        let armed = state.withLock { s -> Bool in
            guard !s.abandoned else { return false }
            s.continuation = continuation
            return true
        }
        guard armed else {
            continuation.resume(throwing: URLError(.cancelled))
            return
        }
        let task = session.dataTask(with: request) { [self] data, response, error in
            let result: Result<HTTPResult, any Error>
            if let error {
                result = .failure(error)
            } else if let http = response as? HTTPURLResponse {
                result = .success(
                    HTTPResult(
                        status: http.statusCode, retryAfter: http.value(forHTTPHeaderField: "Retry-After"),
                        body: data ?? Data()))
            } else {
                result = .failure(URLError(.badServerResponse))
            }
            let waiting = state.withLock { s in
                s.completed = true
                return s.takeContinuation()
            }
            waiting?.resume(with: result)
        }
        task.delegate = self
        task.resume()
        // The caller may have been cancelled while there was no task to cancel yet.
        let toCancel = state.withLock { s in
            s.task = task
            return s.takeCancel()
        }
        if let toCancel { Self.scheduleCancel(toCancel, of: self) }
    }

    /// Resumes the caller now with `error` and has the task, if running, cancelled on a global queue.
    /// The cancellation handler and the dead-connection path both end here.
    private func abandon(throwing error: any Error) {
        let (waiting, toCancel) = state.withLock { s in
            s.abandoned = true
            return (s.takeContinuation(), s.takeCancel())
        }
        waiting?.resume(throwing: error)
        if let toCancel { Self.scheduleCancel(toCancel, of: self) }
    }

    /// Calls `task.cancel()` off the caller's thread (#5412), unless the task completed meanwhile.
    private static func scheduleCancel(_ task: URLSessionDataTask, of call: URLSessionCall) {
        DispatchQueue.global().async {
            guard !call.state.withLock({ $0.completed }) else { return }
            task.cancel()
        }
    }

    /// Called by corelibs on its work queue when libcurl resends the request on a new connection
    /// (see the type's docs). Nothing here may block or touch the task: `cancel()` waits for that
    /// same queue, so even the bookkeeping moves to a global queue.
    func urlSession(
        _ session: URLSession, task: URLSessionTask,
        needNewBodyStream completionHandler: @escaping @Sendable (InputStream?) -> Void
    ) {
        completionHandler(nil)
        DispatchQueue.global().async { [self] in
            abandon(throwing: ReusedConnectionDied())
        }
    }
}
