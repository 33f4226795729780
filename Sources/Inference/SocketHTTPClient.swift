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

    extension SocketHTTPClient {
        /// One request waiting for its response.
        struct Job {
            var id: UInt64
            var host: String
            var port: Int
            var bytes: [UInt8]
            var deadline: UInt64
            var continuation: CheckedContinuation<HTTPResult, any Error>
            var retriedOnFreshConnection = false

            var key: String { "\(host):\(port)" }
        }

        enum Command {
            case start(Job)
            case cancel(UInt64)
            case shutdown
        }

        /// A TCP connection and the job it serves (a class: the loop mutates it in place, where a struct
        /// in the dictionary was copied, with its buffers, on every event).
        final class Connection {
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
    }
#endif
