import Foundation

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

/// The one HTTP seam of Inference: every request the module sends (model calls, probes, and the
/// posts of ``JSONHTTPClient``) goes through a transport, and every retried call through ``RetryLoop``.
///
/// Routing (``route(for:transport:)``, a pure function):
/// - On Linux, plain `http://` to a **loopback** host (127.0.0.0/8, `localhost`) goes to
///   ``SocketHTTPClient``: one epoll loop, keep-alive reuse, sub-second timeouts, about a tenth of
///   URLSession's context switches. That is the local model server and the test stub, where call
///   overhead matters and the network cannot misbehave in the ways the client does not handle.
/// - Everything else goes through one long-lived `URLSession` (libcurl on Linux): `https://`, and
///   `http://` to any other host (a GPU box on the LAN, a webhook), which get what a real network
///   needs and the socket client lacks: proxies from the environment, IPv6, DNS, redirects.
///   `[::1]` is loopback too, but the socket client speaks IPv4 only, so it goes here as well.
/// - ``Endpoint/Transport/urlSession`` sends everything through URLSession.
///
/// The URLSession side (``URLSessionCall`` holds the Swift 6.3 workarounds): one session per
/// transport for the life of the process (invalidating sessions crashes on Linux), at most
/// `maxConnections` connections per host (the default 6 would serialise a wider limiter), no URL
/// cache (corelibs looks responses up on a background queue, which races cancellation), and
/// `requestTimeout` as both the request and the resource timeout. A request whose reused keep-alive
/// connection turns out dead is resent once at once instead of hanging until that timeout (see
/// ``URLSessionCall``).
final class HTTPTransport: Sendable {
    /// Which stack carries a request.
    enum Route: Sendable, Hashable {
        /// ``SocketHTTPClient`` (Linux only).
        case socketClient
        /// The transport's `URLSession`.
        case urlSession
    }

    private let session: URLSession
    private let preference: Endpoint.Transport
    #if os(Linux)
        private let sockets: SocketHTTPClient?
    #endif

    /// Creates a transport allowing `maxConnections` connections per host; `transport` picks the
    /// stack as ``route(for:transport:)`` says.
    init(maxConnections: Int, requestTimeout: TimeInterval, transport: Endpoint.Transport = .automatic) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = max(1, maxConnections)
        // Both bounded by the caller's timeout: the defaults (60 s per request, 7 days per resource)
        // are wrong both ways for model calls. libcurl counts whole seconds.
        configuration.timeoutIntervalForRequest = max(1, requestTimeout)
        configuration.timeoutIntervalForResource = max(1, requestTimeout)
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        session = URLSession(configuration: configuration)
        preference = transport
        #if os(Linux)
            sockets = transport == .automatic ? try? SocketHTTPClient() : nil
        #endif
    }

    /// Which stack carries a request to `url`: the socket client only for plain `http://` to an
    /// IPv4 loopback host under ``Endpoint/Transport/automatic``; URLSession for everything else.
    ///
    /// The answer does not depend on the platform; where there is no socket client (macOS), a
    /// `.socketClient` route is carried by URLSession.
    static func route(for url: URL, transport: Endpoint.Transport) -> Route {
        guard transport == .automatic, url.scheme?.lowercased() == "http", let host = url.host,
            isLoopback(host: host), !host.contains(":")
        else {
            return .urlSession
        }
        return .socketClient
    }

    /// Whether `host` (as `URL.host` gives it) names this machine: `localhost`, any 127.x.y.z
    /// literal, or `::1` (with or without brackets). Names are not resolved.
    static func isLoopback(host: String) -> Bool {
        var name = host.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        if name == "localhost" || name == "::1" || name == "[::1]" { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return false }
        let values = octets.map { part -> Int? in
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int(part).flatMap { $0 <= 255 ? $0 : nil }
        }
        return values.allSatisfy { $0 != nil } && values[0] == 127
    }

    /// Sends `request`; throws `URLError` for transport failures (including `.cancelled`).
    func send(_ request: URLRequest) async throws -> HTTPResult {
        #if os(Linux)
            if let sockets, let url = request.url, Self.route(for: url, transport: preference) == .socketClient {
                return try await sockets.send(request)
            }
        #endif
        var request = request
        // libcurl counts whole seconds: a timeout under 1 s would fire at once.
        request.timeoutInterval = max(1, request.timeoutInterval)
        do {
            return try await URLSessionCall.send(request, on: session)
        } catch is URLSessionCall.ReusedConnectionDied {
            // The server closed the kept-alive connection as the request went out, without answering:
            // once more at once, as browsers do (and as SocketHTTPClient does); a second death is an
            // ordinary dropped connection, for the retry policy.
            do {
                return try await URLSessionCall.send(request, on: session)
            } catch is URLSessionCall.ReusedConnectionDied {
                throw URLError(.networkConnectionLost)
            }
        }
    }
}
