public import Foundation
import Storage
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A loopback OpenAI-compatible HTTP/1.1 server for tests and benchmarks, with programmable
/// replies and fault injection.
///
/// It listens on 127.0.0.1 on an ephemeral port and serves `POST /v1/chat/completions`,
/// `POST /v1/embeddings` and `GET /v1/models` (Azure-style `/openai/deployments/NAME/…` paths
/// too); anything else gets 404. Each connection gets its own thread (never the cooperative pool),
/// with keep-alive and pipelining, so slow replies and faults never block Swift concurrency.
///
/// Each complete request goes through, in order: the next queued fault (``Configuration/faults``),
/// the API-key check, routing (404), the `json_schema` rejection, then the responder; the
/// configured latency is added before every reply.
///
/// ```swift
/// let server = try StubServer(configuration: .init(latency: 0.05, faults: [.status429(retryAfter: "1")]))
/// defer { server.stop() }
/// let client = OpenAIClient(baseURL: server.baseURL, model: "stub-model")
/// ```
public final class StubServer: Sendable {
    /// Decides the reply to a chat-completions or embeddings request that passed the fault plan,
    /// the key check and the `json_schema` rejection. Called on the connection's thread.
    public typealias Responder = @Sendable (StubRequest) -> StubReply

    /// How much of each request the server keeps in ``StubServer/requests``.
    public enum Recording: Sendable, Hashable {
        /// Every request with its headers, body and parsed JSON.
        case full
        /// Every request with its headers but no body and no JSON (long benchmarks).
        case withoutBodies
        /// Nothing; only the counters are kept.
        case none
    }

    /// How a server behaves; fixed when it starts (see ``setResponder(_:)`` and ``injectFaults(_:)``
    /// for what can change later).
    public struct Configuration: Sendable {
        /// The model name listed by `GET /v1/models` and used in replies when a request names none.
        public var modelName: String
        /// Seconds added before every reply (interrupted by ``StubServer/stop()``).
        public var latency: TimeInterval
        /// Faults applied, one each, to the first requests, in order.
        public var faults: [StubFault]
        /// When true, a chat request whose `response_format.type` is `json_schema` gets 400 with an
        /// OpenAI `invalid_request_error` naming `response_format`.
        public var rejectJSONSchema: Bool
        /// When set, a request needs `Authorization: Bearer KEY` or `api-key: KEY`, or it gets 401.
        public var requiredAPIKey: String?
        /// How much of each request is kept in ``StubServer/requests``.
        public var recording: Recording
        /// Decides chat and embeddings replies; ``StubServer/defaultReply(to:)`` by default.
        public var responder: Responder
        /// Which server's discovery answers, errors and structured-output rules the stub imitates.
        public var imitation: Imitation
        /// The context window the imitated server enforces (and reports where that server does),
        /// estimated at 4 bytes a token; `nil`: unbounded and unreported.
        public var contextWindow: Int?
        /// The fraction (0…1) of chat and embeddings requests answered 503 when no queued fault
        /// applies, chosen by a hash of the request's sequence number (see
        /// ``StubServer/failsIntermittently(sequence:fraction:)``): a flaky fleet member.
        public var intermittentFailure: Double = 0
        /// The batch API's behaviour (``StubBatchOptions``).
        public var batch = StubBatchOptions()

        /// Creates a configuration; every parameter has a default suitable for a plain stub.
        public init(
            modelName: String = "stub-model",
            latency: TimeInterval = 0,
            faults: [StubFault] = [],
            rejectJSONSchema: Bool = false,
            requiredAPIKey: String? = nil,
            recording: Recording = .full,
            imitation: Imitation = .openAI,
            contextWindow: Int? = nil,
            responder: @escaping Responder = StubServer.defaultReply(to:)
        ) {
            self.imitation = imitation
            self.contextWindow = contextWindow
            self.modelName = modelName
            self.latency = latency
            self.faults = faults
            self.rejectJSONSchema = rejectJSONSchema
            self.requiredAPIKey = requiredAPIKey
            self.recording = recording
            self.responder = responder
        }
    }

    /// The configuration the server started with.
    public let configuration: Configuration
    /// The TCP port the server listens on (on 127.0.0.1).
    public let port: Int
    let core: StubServerCore

    /// Starts a server on 127.0.0.1 on an ephemeral port; it serves until ``stop()`` or deinit.
    ///
    /// - Throws: ``StubServerError`` when the socket cannot be created, bound or listened on.
    public init(configuration: Configuration = .init()) throws {
        self.configuration = configuration
        let core = try StubServerCore(configuration: configuration)
        self.core = core
        self.port = core.port
        core.start()
    }

    deinit {
        core.stop()
    }

    /// The OpenAI base URL of this server: `http://127.0.0.1:PORT/v1`.
    public var baseURL: URL {
        // A literal host and a numeric port always form a valid URL.
        URL(string: "http://127.0.0.1:\(port)/v1")!
    }

    /// Stops the server: closes the listening socket and every connection, wakes sleeping replies,
    /// and waits (up to 5 s) for the server's threads to end. Idempotent; also called by deinit.
    ///
    /// Once it returns the port refuses connections. It blocks the caller briefly (the threads end
    /// within milliseconds unless a custom responder is still running).
    public func stop() {
        core.stop()
    }

    /// The number of complete requests received since start or ``resetCounters()``.
    public var requestCount: Int { core.state.withLock { $0.requestCount } }

    /// The largest number of requests handled at once (from body received to response written)
    /// since start or ``resetCounters()``.
    public var peakInFlight: Int { core.state.withLock { $0.peakInFlight } }

    /// The number of requests being handled right now.
    public var inFlight: Int { core.state.withLock { $0.inFlight } }

    /// The number of TCP connections accepted since start or ``resetCounters()`` (keep-alive reuses one).
    public var connectionCount: Int { core.state.withLock { $0.connectionCount } }

    /// The number of delayed replies (``StubFault/slow(_:)``, ``StubReply/delay(_:then:)``) that were
    /// never sent because the client closed the connection while the server waited: how a test sees
    /// that a cancelled call really stopped its request. Reset by ``resetCounters()``.
    public var hangUpCount: Int { core.state.withLock { $0.hangUpCount } }

    /// The requests received since start or ``resetCounters()``, in arrival order (see ``Recording``).
    public var requests: [StubRequest] { core.state.withLock { $0.requests } }

    /// The discovery requests received (``StubRequest/Endpoint/isDiscovery``), in arrival order;
    /// they are not in ``requests`` and not counted in ``requestCount``.
    public var discoveryRequests: [StubRequest] { core.state.withLock { $0.discoveryRequests } }

    /// The faults not yet consumed, in the order they will be applied.
    public var pendingFaults: [StubFault] { core.state.withLock { $0.faults } }

    /// Resets ``requestCount``, ``peakInFlight``, ``connectionCount``, ``hangUpCount`` and ``requests`` (sequence
    /// numbers keep counting, and queued faults stay queued).
    public func resetCounters() {
        core.state.withLock { state in
            state.requestCount = 0
            state.connectionCount = 0
            state.hangUpCount = 0
            state.peakInFlight = state.inFlight
            state.requests = []
            state.discoveryRequests = []
        }
    }

    /// Replaces the responder for requests that arrive from now on.
    public func setResponder(_ responder: @escaping Responder) {
        core.state.withLock { $0.responder = responder }
    }

    /// Appends faults to the plan; each later request consumes one until none are left.
    public func injectFaults(_ faults: [StubFault]) {
        core.state.withLock { $0.faults.append(contentsOf: faults) }
    }
}

/// Everything the server's threads share. The threads hold the core, not the ``StubServer``, so the
/// server's deinit can run (and stop them) while they are still alive.
final class StubServerCore: Sendable {
    struct State: Sendable {
        var stopped = false
        var started = false
        var connections: Set<Int32> = []
        var nextSequence = 1
        var requestCount = 0
        var connectionCount = 0
        var hangUpCount = 0
        var inFlight = 0
        var peakInFlight = 0
        var requests: [StubRequest] = []
        var discoveryRequests: [StubRequest] = []
        var faults: [StubFault]
        var responder: StubServer.Responder
        var wakePipeClosed = false
        var batch = StubBatchState()
    }

    let configuration: StubServer.Configuration
    let listenFD: Int32
    let port: Int
    /// Read end of the self-pipe: it becomes readable (and stays so) once `stop()` writes to it,
    /// which wakes every `poll` in the listener and in sleeping replies at once.
    let wakeRead: Int32
    let wakeWrite: Int32
    let threads = DispatchGroup()
    let state: Mutex<State>

    init(configuration: StubServer.Configuration) throws {
        self.configuration = configuration
        state = Mutex(State(faults: configuration.faults, responder: configuration.responder))

        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else {
            throw StubServerError(code: .pipe, message: "pipe() failed: \(Socket.errorText())")
        }
        wakeRead = pipeFDs[0]
        wakeWrite = pipeFDs[1]

        do {
            let (fd, port) = try Socket.listenOnLoopback()
            listenFD = fd
            self.port = port
        } catch {
            close(pipeFDs[0])
            close(pipeFDs[1])
            throw error
        }
    }

    func start() {
        state.withLock { $0.started = true }
        threads.enter()
        let thread = Thread { [self] in
            acceptLoop()
            close(listenFD)
            threads.leave()
        }
        thread.name = "StubServer.accept"
        thread.start()
    }

    func stop() {
        let first = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.stopped = true
            // Wakes threads blocked in recv or send; each thread closes its own descriptor, so a
            // number is never shut down after it was closed and reused.
            for fd in state.connections { _ = shutdown(fd, Int32(SHUT_RDWR)) }
            return true
        }
        guard first else { return }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        let started = state.withLock { $0.started }
        if !started { close(listenFD) }
        // Closing the pipe while a thread still polls it would be unsafe; leak it if one is stuck.
        if threads.wait(timeout: .now() + 5) == .success {
            close(wakeRead)
            close(wakeWrite)
        }
    }

    /// Sleeps up to `seconds`; returns false when the server stopped meanwhile, or when the client of
    /// `connection` (if given) closed it (counted in `hangUpCount`).
    func sleep(_ seconds: TimeInterval, watching connection: Int32? = nil) -> Bool {
        guard seconds > 0 else { return !state.withLock { $0.stopped } }
        let deadline = Date().addingTimeInterval(seconds)
        var watched = connection
        while true {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return !state.withLock { $0.stopped } }
            var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            if let watched { fds.append(pollfd(fd: watched, events: Int16(POLLIN), revents: 0)) }
            let milliseconds = Int32(min(left * 1000, 60_000).rounded(.up))
            guard poll(&fds, nfds_t(fds.count), milliseconds) > 0 else { continue }
            if fds[0].revents != 0 { return false }
            if let fd = watched, fds[1].revents != 0 {
                // Readable: either the end of the stream (a hang-up) or a pipelined request, which
                // waits its turn; then the connection is not watched any more.
                var byte: UInt8 = 0
                let peeked = recv(fd, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT))
                if peeked > 0 || (peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
                    watched = nil
                    continue
                }
                state.withLock { $0.hangUpCount += 1 }
                return false
            }
        }
    }

    private func acceptLoop() {
        while true {
            var fds = [
                pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, 2, -1)
            if state.withLock({ $0.stopped }) { return }
            if ready < 0 {
                if errno == EINTR { continue }
                return
            }
            guard fds[0].revents & Int16(POLLIN) != 0 else { continue }
            let client = accept(listenFD, nil, nil)
            if client < 0 {
                // EMFILE and friends: back off briefly instead of spinning.
                if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED {
                    _ = sleep(0.01)
                }
                continue
            }
            Socket.configureAccepted(client)
            let admitted = state.withLock { state -> Bool in
                guard !state.stopped else { return false }
                state.connections.insert(client)
                state.connectionCount += 1
                return true
            }
            guard admitted else {
                close(client)
                return
            }
            threads.enter()
            let thread = Thread { [self] in
                StubConnection(fd: client, core: self).run()
                state.withLock { _ = $0.connections.remove(client) }
                close(client)
                threads.leave()
            }
            thread.name = "StubServer.connection"
            // Enough for a deeply nested JSON body and a user's responder; only touched pages cost memory.
            thread.stackSize = 1 << 20
            thread.start()
        }
    }
}

/// Thin wrappers over the BSD socket calls that differ between Glibc and Darwin.
enum Socket {
    static func errorText(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }

    static func listenOnLoopback() throws(StubServerError) -> (fd: Int32, port: Int) {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else {
            throw StubServerError(code: .socket, message: "socket() failed: \(errorText())")
        }
        var yes: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        #if canImport(Darwin)
            address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let text = errorText()
            close(fd)
            throw StubServerError(code: .bind, message: "bind(127.0.0.1:0) failed: \(text)")
        }
        guard listen(fd, 1024) == 0 else {
            let text = errorText()
            close(fd)
            throw StubServerError(code: .bind, message: "listen() failed: \(text)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else {
            let text = errorText()
            close(fd)
            throw StubServerError(code: .bind, message: "getsockname() failed: \(text)")
        }
        // Non-blocking, so an accept after a spurious poll wake-up (a client that reset) never blocks.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK)
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    static func configureAccepted(_ fd: Int32) {
        // BSD accept() inherits O_NONBLOCK from the listener; connection threads want blocking I/O.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) & ~O_NONBLOCK)
        var yes: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
        #if canImport(Darwin)
            _ = setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &yes, socklen_t(MemoryLayout<Int32>.size))
        #endif
    }

    /// Sends all of `bytes` with as few `send` calls as the kernel allows (one, in practice).
    /// Returns false when the peer is gone.
    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        #if canImport(Glibc)
            let flags = Int32(MSG_NOSIGNAL)
        #else
            let flags: Int32 = 0
        #endif
        var offset = 0
        return bytes.withUnsafeBytes { buffer -> Bool in
            guard let base = buffer.baseAddress else { return true }
            while offset < buffer.count {
                let sent = send(fd, base + offset, buffer.count - offset, flags)
                if sent < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += sent
            }
            return true
        }
    }

    /// Receives what is available (up to `chunk.count` bytes) and appends it to `buffer`; returns
    /// false on end of stream or error.
    static func receive(_ fd: Int32, into buffer: inout [UInt8], using chunk: inout [UInt8]) -> Bool {
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer.append(contentsOf: chunk[0..<count])
                return true
            }
            if count < 0, errno == EINTR { continue }
            return false
        }
    }
}
