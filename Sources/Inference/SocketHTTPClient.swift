#if os(Linux)
    import CEpoll
    import Foundation
    import Glibc
    import Synchronization

    #if canImport(FoundationNetworking)
        import FoundationNetworking
    #endif

    /// HTTP/1.1 over plain TCP for `http://` on a loopback host (local servers: llama.cpp, vLLM,
    /// Ollama, the test stub), driven by one epoll loop thread with keep-alive connection reuse.
    ///
    /// Why not URLSession here: on Linux each URLSession call hops through libcurl's thread, a dispatch
    /// source, the delegate queue and the cooperative pool (about 24 context switches a call, measured
    /// with `agora bench`), it reopens connections it could reuse, and it rounds timeouts down to whole
    /// seconds. This client does one hop each way. It speaks IPv4 only and knows nothing of proxies,
    /// TLS or redirects, so ``HTTPTransport`` gives it loopback hosts only; `https://` and other hosts
    /// go through URLSession.
    ///
    /// Failures are reported as `URLError` with the codes URLSession would use, so the retry logic in
    /// ``OpenAICompatibleModel`` treats both transports alike.
    final class SocketHTTPClient: Sendable {
        private let loop: EventLoop

        init() throws {
            loop = try EventLoop()
        }

        deinit {
            loop.shutdown()
        }

        /// Sends `request` (scheme `http` only).
        func send(_ request: URLRequest) async throws -> HTTPResult {
            guard let url = request.url, url.scheme == "http", let host = url.host else {
                throw URLError(.unsupportedURL)
            }
            let port = url.port ?? 80
            var target = url.path.isEmpty ? "/" : url.path
            if let query = url.query { target += "?" + query }
            let body = request.httpBody ?? Data()
            var head = "\(request.httpMethod ?? "GET") \(target) HTTP/1.1\r\nHost: \(host):\(port)\r\n"
            for (name, value) in (request.allHTTPHeaderFields ?? [:]).sorted(by: { $0.key < $1.key })
            where name.lowercased() != "content-length" && name.lowercased() != "host" {
                head += "\(name): \(value)\r\n"
            }
            head += "Content-Length: \(body.count)\r\n\r\n"
            var bytes = Array(head.utf8)
            bytes.append(contentsOf: body)
            let timeout = max(0.001, request.timeoutInterval)
            let id = loop.nextJobID()
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    loop.submit(
                        .start(
                            Job(
                                id: id, host: host, port: port, bytes: bytes,
                                deadline: EventLoop.now() + UInt64(timeout * 1e9), continuation: continuation)))
                }
            } onCancel: {
                loop.submit(.cancel(id))
            }
        }
    }

    /// One request waiting for its response.
    private struct Job {
        var id: UInt64
        var host: String
        var port: Int
        var bytes: [UInt8]
        var deadline: UInt64
        var continuation: CheckedContinuation<HTTPResult, any Error>
        var retriedOnFreshConnection = false

        var key: String { "\(host):\(port)" }
    }

    private enum Command {
        case start(Job)
        case cancel(UInt64)
        case shutdown
    }

    /// A TCP connection and the job it serves (a class: the loop mutates it in place, where a struct
    /// in the dictionary was copied, with its buffers, on every event).
    private final class Connection {
        enum Phase {
            case connecting
            case writing(offset: Int)
            case reading
            case idle
        }

        var fd: Int32
        var key: String
        var phase: Phase
        var job: Job?
        var buffer: [UInt8] = []
        var reused = false
        /// Whether epoll watches the socket for writability (`nil`: not registered yet).
        var watchedWritable: Bool?

        init(fd: Int32, key: String, phase: Phase, job: Job?) {
            self.fd = fd
            self.key = key
            self.phase = phase
            self.job = job
        }
    }

    /// The epoll loop. Everything but `submissions` and `jobCounter` is touched only by the loop thread.
    ///
    /// `@unchecked Sendable`: cross-thread state is behind `Mutex`es; the rest is confined to the loop thread.
    private final class EventLoop: @unchecked Sendable {
        private let epfd: Int32
        private let wakeRead: Int32
        private let wakeWrite: Int32
        private let submissions = Mutex<[Command]>([])
        /// Whether a wake-up byte is in the pipe and not yet drained: commands submitted meanwhile
        /// ride on it (a burst of 64 calls costs one write and one wake-up, not 64).
        private let wakePending = Atomic<Bool>(false)
        private let jobCounter = Atomic<UInt64>(0)
        private var connections: [Int32: Connection] = [:]
        private var idle: [String: [Int32]] = [:]
        private var addresses: [String: [UInt8]] = [:]
        /// Jobs cancelled before the loop saw them start (the cancel can overtake the start).
        private var cancelledEarly: Set<UInt64> = []
        private var running = true
        /// No job's deadline is earlier than this, so the loop scans for expired jobs only once it
        /// passes (scanning every connection on every wake-up cost more than the I/O at 64 in flight).
        private var nextExpiryCheck = UInt64.max
        /// The receive buffer, reused by every read.
        private var chunk = [UInt8](repeating: 0, count: 64 * 1024)

        init() throws {
            epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
            guard epfd >= 0 else { throw URLError(.cannotConnectToHost) }
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else {
                close(epfd)
                throw URLError(.cannotConnectToHost)
            }
            for fd in fds {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
            wakeRead = fds[0]
            wakeWrite = fds[1]
            var event = epoll_event()
            event.events = EPOLLIN.rawValue
            event.data.fd = wakeRead
            epoll_ctl(epfd, EPOLL_CTL_ADD, wakeRead, &event)
            let thread = Thread { [self] in self.run() }
            thread.name = "agora.http"
            thread.start()
        }

        static func now() -> UInt64 {
            var ts = timespec()
            clock_gettime(CLOCK_MONOTONIC, &ts)
            return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
        }

        func nextJobID() -> UInt64 {
            jobCounter.add(1, ordering: .relaxed).newValue
        }

        func submit(_ command: Command) {
            submissions.withLock { $0.append(command) }
            guard !wakePending.exchange(true, ordering: .acquiringAndReleasing) else { return }
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)
        }

        func shutdown() {
            submit(.shutdown)
        }

        // MARK: The loop

        private func run() {
            var events = [epoll_event](repeating: epoll_event(), count: 128)
            while running {
                let timeout = nextTimeoutMilliseconds()
                let count = epoll_wait(epfd, &events, Int32(events.count), timeout)
                if count < 0 && errno != EINTR { break }
                for index in 0..<max(0, Int(count)) {
                    let fd = events[index].data.fd
                    let flags = events[index].events
                    if fd == wakeRead {
                        drainWakeups()
                    } else {
                        handle(fd: fd, flags: flags)
                    }
                }
                if Self.now() >= nextExpiryCheck { expireDeadlines() }
            }
            for fd in Array(connections.keys) {
                if let job = connections[fd]?.job { job.continuation.resume(throwing: URLError(.cancelled)) }
                close(fd)
            }
            connections.removeAll()
            close(wakeRead)
            close(wakeWrite)
            close(epfd)
        }

        private func nextTimeoutMilliseconds() -> Int32 {
            guard nextExpiryCheck != .max else { return 1000 }
            let now = Self.now()
            if nextExpiryCheck <= now { return 0 }
            return Int32(min(1000, (nextExpiryCheck - now) / 1_000_000 + 1))
        }

        private func drainWakeups() {
            var sink = [UInt8](repeating: 0, count: 256)
            while read(wakeRead, &sink, sink.count) > 0 {}
            // Cleared before taking the commands: a command submitted after this point either is
            // taken below or writes a new wake-up byte.
            wakePending.store(false, ordering: .sequentiallyConsistent)
            let commands = submissions.withLock { pending -> [Command] in
                defer { pending.removeAll() }
                return pending
            }
            for command in commands {
                switch command {
                case .start(let job): start(job)
                case .cancel(let id): cancel(id)
                case .shutdown: running = false
                }
            }
        }

        /// Fails the jobs past their deadline and finds the next deadline.
        private func expireDeadlines() {
            let now = Self.now()
            var next = UInt64.max
            for (fd, connection) in connections {
                guard let job = connection.job else { continue }
                if job.deadline <= now {
                    finish(fd, with: .failure(URLError(.timedOut)), keepAlive: false)
                } else {
                    next = min(next, job.deadline)
                }
            }
            nextExpiryCheck = next
        }

        /// Makes sure the loop wakes up for `job`'s deadline.
        private func track(_ job: Job) {
            nextExpiryCheck = min(nextExpiryCheck, job.deadline)
        }

        private func cancel(_ id: UInt64) {
            for (fd, connection) in connections where connection.job?.id == id {
                finish(fd, with: .failure(URLError(.cancelled)), keepAlive: false)
                return
            }
            cancelledEarly.insert(id)
        }

        // MARK: Connections

        private func start(_ job: Job) {
            if cancelledEarly.remove(job.id) != nil {
                job.continuation.resume(throwing: URLError(.cancelled))
                return
            }
            track(job)
            // Reuse the most recently idle connection to the same host, if any.
            while let fd = idle[job.key]?.popLast() {
                guard let connection = connections[fd] else { continue }
                connection.job = job
                connection.reused = true
                connection.buffer.removeAll(keepingCapacity: true)
                connection.phase = .writing(offset: 0)
                // Write at once: a request fits the socket buffer, so the connection goes straight to
                // reading and its epoll registration (readable, as when idle) never changes.
                handle(fd: fd, flags: 0)
                return
            }
            open(job)
        }

        private func open(_ job: Job) {
            track(job)
            guard let address = resolve(job.host) else {
                job.continuation.resume(throwing: URLError(.cannotFindHost))
                return
            }
            let fd = socket(
                AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else {
                job.continuation.resume(throwing: URLError(.cannotConnectToHost))
                return
            }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = UInt16(job.port).bigEndian
            withUnsafeMutableBytes(of: &sin.sin_addr) { raw in
                for (i, byte) in address.prefix(4).enumerated() { raw[i] = byte }
            }
            let result = withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if result != 0 && errno != EINPROGRESS {
                close(fd)
                job.continuation.resume(throwing: URLError(.cannotConnectToHost))
                return
            }
            connections[fd] = Connection(
                fd: fd, key: job.key, phase: result == 0 ? .writing(offset: 0) : .connecting, job: job)
            watch(fd, writable: true, modify: false)
        }

        /// The IPv4 address of `host` (a literal or a name, resolved once and remembered).
        private func resolve(_ host: String) -> [UInt8]? {
            if let known = addresses[host] { return known }
            var hints = addrinfo()
            hints.ai_family = AF_INET
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host == "localhost" ? "127.0.0.1" : host, nil, &hints, &list) == 0, let first = list
            else {
                return nil
            }
            defer { freeaddrinfo(list) }
            guard let raw = first.pointee.ai_addr else { return nil }
            let bytes = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                withUnsafeBytes(of: pointer.pointee.sin_addr) { Array($0) }
            }
            addresses[host] = bytes
            return bytes
        }

        private func watch(_ fd: Int32, writable: Bool, modify: Bool) {
            if let connection = connections[fd] {
                if modify, connection.watchedWritable == writable { return }
                connection.watchedWritable = writable
            }
            var event = epoll_event()
            event.events = EPOLLIN.rawValue | EPOLLRDHUP.rawValue | (writable ? EPOLLOUT.rawValue : 0)
            event.data.fd = fd
            epoll_ctl(epfd, modify ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &event)
        }

        private func handle(fd: Int32, flags: UInt32) {
            guard let connection = connections[fd] else { return }
            switch connection.phase {
            case .idle:
                // The server closed (or wrote to) an idle connection: drop it.
                drop(fd)
            case .connecting:
                var error: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                if error != 0 {
                    finish(fd, with: .failure(URLError(.cannotConnectToHost)), keepAlive: false)
                    return
                }
                connection.phase = .writing(offset: 0)
                handle(fd: fd, flags: flags)
            case .writing(var offset):
                guard let job = connection.job else { return drop(fd) }
                while offset < job.bytes.count {
                    let sent = job.bytes.withUnsafeBytes { raw in
                        Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                    }
                    if sent > 0 {
                        offset += sent
                    } else if sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                        connection.phase = .writing(offset: offset)
                        watch(fd, writable: true, modify: true)
                        return
                    } else {
                        return connectionLost(fd)
                    }
                }
                connection.phase = .reading
                watch(fd, writable: false, modify: true)
            case .reading:
                var closed = false
                while true {
                    let received = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    if received > 0 {
                        chunk.withUnsafeBufferPointer {
                            connection.buffer.append(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<received]))
                        }
                        // A short read most likely drained the socket: if the response is complete,
                        // skip the read that would only say EAGAIN.
                        if received < chunk.count,
                            case .complete = HTTPResponseParser.parse(connection.buffer, connectionClosed: false)
                        {
                            break
                        }
                    } else if received == 0 {
                        closed = true
                        break
                    } else if errno == EAGAIN || errno == EWOULDBLOCK {
                        break
                    } else if errno == EINTR {
                        continue
                    } else {
                        closed = true
                        break
                    }
                }
                switch HTTPResponseParser.parse(connection.buffer, connectionClosed: closed) {
                case .complete(let result, let keepAlive):
                    finish(fd, with: .success(result), keepAlive: keepAlive && !closed)
                case .invalid:
                    finish(fd, with: .failure(URLError(.badServerResponse)), keepAlive: false)
                case .needMore:
                    if closed { connectionLost(fd) }
                }
            }
        }

        /// The connection closed before a whole response arrived. A reused keep-alive connection that
        /// closed before sending a single byte most likely timed out on the server side between requests:
        /// the request is sent once more on a fresh connection (as browsers and curl do).
        private func connectionLost(_ fd: Int32) {
            guard let connection = connections[fd], var job = connection.job else { return drop(fd) }
            if connection.reused && connection.buffer.isEmpty && !job.retriedOnFreshConnection {
                drop(fd)
                job.retriedOnFreshConnection = true
                open(job)
                return
            }
            finish(fd, with: .failure(URLError(.networkConnectionLost)), keepAlive: false)
        }

        private func finish(_ fd: Int32, with outcome: Result<HTTPResult, URLError>, keepAlive: Bool) {
            guard let connection = connections[fd] else { return }
            let job = connection.job
            connection.job = nil
            if keepAlive {
                connection.phase = .idle
                connection.buffer.removeAll(keepingCapacity: true)
                idle[connection.key, default: []].append(fd)
                watch(fd, writable: false, modify: true)
            } else {
                drop(fd)
            }
            switch outcome {
            case .success(let result): job?.continuation.resume(returning: result)
            case .failure(let error): job?.continuation.resume(throwing: error)
            }
        }

        private func drop(_ fd: Int32) {
            if let connection = connections.removeValue(forKey: fd), case .idle = connection.phase {
                idle[connection.key]?.removeAll { $0 == fd }
            }
            epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nil)
            close(fd)
        }
    }

    /// Parses one HTTP/1.1 response: status line, headers, and a body framed by Content-Length,
    /// chunked transfer coding, or the end of the connection.
    enum HTTPResponseParser {
        enum Outcome {
            case needMore
            case invalid
            case complete(HTTPResult, keepAlive: Bool)
        }

        static func parse(_ bytes: [UInt8], connectionClosed: Bool) -> Outcome {
            guard let headEnd = find([13, 10, 13, 10], in: bytes, from: 0) else {
                return connectionClosed || bytes.count > 64 * 1024 ? (bytes.isEmpty ? .needMore : .invalid) : .needMore
            }
            // The head is parsed on bytes (header names and the values used here are ASCII).
            let firstLineEnd = find([13, 10], in: bytes, from: 0) ?? headEnd
            let statusLine = bytes[0..<min(firstLineEnd, headEnd)]
            let statusParts = statusLine.split(
                separator: UInt8(ascii: " "), maxSplits: 2, omittingEmptySubsequences: true)
            guard statusParts.count >= 2, statusParts[0].starts(with: "HTTP/1.".utf8),
                let status = Int(String(decoding: statusParts[1], as: UTF8.self))
            else {
                return .invalid
            }
            var contentLength: Int?
            var chunked = false
            var close = statusParts[0].elementsEqual("HTTP/1.0".utf8)
            var retryAfter: String?
            var lineStart = min(firstLineEnd, headEnd) + 2
            while lineStart < headEnd {
                let lineEnd = find([13, 10], in: bytes, from: lineStart).map { min($0, headEnd) } ?? headEnd
                let line = bytes[lineStart..<lineEnd]
                lineStart = lineEnd + 2
                guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
                let name = line[..<colon]
                let value = trimmed(line[(colon + 1)...])
                if asciiEqualsIgnoringCase(name, "content-length") {
                    contentLength = Int(String(decoding: value, as: UTF8.self))
                } else if asciiEqualsIgnoringCase(name, "transfer-encoding") {
                    chunked = asciiLowercased(value).contains("chunked")
                } else if asciiEqualsIgnoringCase(name, "connection") {
                    let lowered = asciiLowercased(value)
                    if lowered.contains("close") { close = true }
                    if lowered.contains("keep-alive") { close = false }
                } else if asciiEqualsIgnoringCase(name, "retry-after") {
                    retryAfter = String(decoding: value, as: UTF8.self)
                }
            }
            let bodyStart = headEnd + 4
            if status == 100 {
                // An interim response: skip it and parse what follows.
                return parse(Array(bytes[bodyStart...]), connectionClosed: connectionClosed)
            }
            if chunked {
                var body: [UInt8] = []
                var index = bodyStart
                while true {
                    guard let lineEnd = find([13, 10], in: bytes, from: index) else { return .needMore }
                    let sizeText =
                        String(decoding: bytes[index..<lineEnd], as: UTF8.self)
                        .split(separator: ";").first.map(String.init) ?? ""
                    guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                        return .invalid
                    }
                    index = lineEnd + 2
                    if size == 0 {
                        // Trailers end with an empty line.
                        guard let end = find([13, 10, 13, 10], in: bytes, from: index - 2) else { return .needMore }
                        _ = end
                        break
                    }
                    guard bytes.count >= index + size + 2 else { return .needMore }
                    body.append(contentsOf: bytes[index..<(index + size)])
                    index += size + 2
                }
                return .complete(
                    HTTPResult(status: status, retryAfter: retryAfter, body: Data(body)), keepAlive: !close)
            }
            if let contentLength {
                guard bytes.count >= bodyStart + contentLength else { return .needMore }
                let body = Data(bytes[bodyStart..<(bodyStart + contentLength)])
                return .complete(HTTPResult(status: status, retryAfter: retryAfter, body: body), keepAlive: !close)
            }
            if status == 204 || status == 304 || (100..<200).contains(status) {
                return .complete(HTTPResult(status: status, retryAfter: retryAfter, body: Data()), keepAlive: !close)
            }
            // No framing: the body ends when the server closes the connection.
            guard connectionClosed else { return .needMore }
            return .complete(
                HTTPResult(status: status, retryAfter: retryAfter, body: Data(bytes[bodyStart...])), keepAlive: false)
        }

        private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
            var slice = bytes
            while let first = slice.first, first == 0x20 || first == 0x09 { slice.removeFirst() }
            while let last = slice.last, last == 0x20 || last == 0x09 { slice.removeLast() }
            return slice
        }

        private static func asciiLowercased(_ bytes: ArraySlice<UInt8>) -> String {
            String(decoding: bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
        }

        private static func asciiEqualsIgnoringCase(_ bytes: ArraySlice<UInt8>, _ lowercase: StaticString) -> Bool {
            guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
            let expected = UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
            return zip(bytes, expected).allSatisfy { ($0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0) == $1 }
        }

        private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
            guard haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
            var i = max(0, start)
            while i <= haystack.count - needle.count {
                if haystack[i] == needle[0] {
                    var match = true
                    for j in 1..<needle.count where haystack[i + j] != needle[j] {
                        match = false
                        break
                    }
                    if match { return i }
                }
                i += 1
            }
            return nil
        }
    }
#endif
