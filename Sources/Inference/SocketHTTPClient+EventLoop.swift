#if os(Linux)
    import CEpoll
    import Foundation
    import Glibc
    import Synchronization

    #if canImport(FoundationNetworking)
        import FoundationNetworking
    #endif

    // The client's side of the socket work: one thread running epoll over the connections, with the
    // jobs, commands and connections declared beside the client (SocketHTTPClient.swift).
    extension SocketHTTPClient {
        /// The epoll loop. Everything but `submissions` and `jobCounter` is touched only by the loop thread.
        ///
        /// `@unchecked Sendable`: cross-thread state is behind `Mutex`es; the rest is confined to the loop thread.
        final class EventLoop: @unchecked Sendable {
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
                    AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                    0)
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
    }
#endif
