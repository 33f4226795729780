// HTTP/1.1 framing for the stub server: an incremental request parser (request line, headers,
// Content-Length or chunked body, pipelining) and the response serializer. Pure values, no sockets.

/// One request as framed off the wire, before the server interprets it.
struct HTTPMessage: Sendable {
    var method: String
    var target: String
    var version: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    /// The value of the first header with this name, compared case-insensitively.
    func header(_ name: String) -> String? {
        headers.first { headerNamesMatch($0.name, name) }?.value
    }

    /// Whether the client asked to close the connection after this exchange.
    var wantsClose: Bool {
        let connection = header("Connection") ?? ""
        if version == "HTTP/1.0" { return !lowercasedContains(connection, "keep-alive") }
        return lowercasedContains(connection, "close")
    }
}

/// What the parser made of the bytes received so far.
enum HTTPParseResult {
    /// Not enough bytes yet; `expectsContinue` is true when the head is complete and carries
    /// `Expect: 100-continue` (libcurl waits up to a second for the interim response otherwise).
    case needMore(expectsContinue: Bool)
    /// A complete request and the number of buffer bytes it used (the rest belongs to the next one).
    case complete(HTTPMessage, consumed: Int)
    /// The bytes are not a request we accept; answer with this status and close.
    case invalid(status: Int, message: String)
}

enum HTTPParser {
    static let maxHeadBytes = 64 * 1024
    static let maxBodyBytes = 64 * 1024 * 1024

    /// Parses one request from the start of `buffer`.
    static func parse(_ buffer: [UInt8]) -> HTTPParseResult {
        guard let headEnd = endOfHead(buffer) else {
            if buffer.count > maxHeadBytes { return .invalid(status: 431, message: "request head too large") }
            return .needMore(expectsContinue: false)
        }
        guard headEnd.contentStart <= maxHeadBytes + 4 else {
            return .invalid(status: 431, message: "request head too large")
        }
        // Split on LF bytes, not on Characters: in Swift "\r\n" is a single Character.
        var lines = buffer[0..<headEnd.headLength].split(separator: 0x0A, omittingEmptySubsequences: false).map {
            line in String(decoding: line.last == 0x0D ? line.dropLast() : line, as: UTF8.self)
        }
        // Tolerate blank lines before the request line (RFC 9112 §2.2).
        while let first = lines.first, first.isEmpty { lines.removeFirst() }
        guard let requestLine = lines.first else { return .invalid(status: 400, message: "empty request") }
        let parts = requestLine.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else {
            return .invalid(status: 400, message: "malformed request line")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else {
                return .invalid(status: 400, message: "malformed header line")
            }
            let name = trimmingBlanks(line[..<colon])
            guard !name.isEmpty, !name.contains(" ") else {
                return .invalid(status: 400, message: "malformed header name")
            }
            headers.append((name: name, value: trimmingBlanks(line[line.index(after: colon)...])))
        }
        var message = HTTPMessage(
            method: String(parts[0]), target: String(parts[1]), version: String(parts[2]), headers: headers, body: [])
        let expectsContinue = message.header("Expect")?.lowercased() == "100-continue"
        let bodyStart = headEnd.contentStart

        if let encoding = message.header("Transfer-Encoding")?.lowercased() {
            guard encoding.split(separator: ",").last.map(trimmingBlanks) == "chunked" else {
                return .invalid(status: 501, message: "unsupported transfer encoding \(encoding)")
            }
            switch decodeChunked(buffer, from: bodyStart) {
            case .needMore: return .needMore(expectsContinue: expectsContinue)
            case .invalid(let reason): return .invalid(status: 400, message: reason)
            case .complete(let body, let end):
                message.body = body
                return .complete(message, consumed: end)
            }
        }
        var length = 0
        if let declared = message.header("Content-Length") {
            guard let value = Int(declared), value >= 0 else {
                return .invalid(status: 400, message: "invalid Content-Length")
            }
            length = value
        }
        guard length <= maxBodyBytes else { return .invalid(status: 413, message: "request body too large") }
        guard buffer.count - bodyStart >= length else { return .needMore(expectsContinue: expectsContinue) }
        message.body = Array(buffer[bodyStart..<(bodyStart + length)])
        return .complete(message, consumed: bodyStart + length)
    }

    /// Finds the blank line that ends the head: CRLF CRLF, or bare LF LF from lenient clients.
    private static func endOfHead(_ buffer: [UInt8]) -> (headLength: Int, contentStart: Int)? {
        var index = 0
        let limit = min(buffer.count, maxHeadBytes + 4)
        while index < limit {
            if buffer[index] == 0x0A {
                if index + 1 < buffer.count, buffer[index + 1] == 0x0A {
                    return (index, index + 2)
                }
                if index + 2 < buffer.count, buffer[index + 1] == 0x0D, buffer[index + 2] == 0x0A {
                    return (index, index + 3)
                }
            }
            index += 1
        }
        return nil
    }

    private enum ChunkedResult {
        case needMore
        case invalid(String)
        case complete([UInt8], end: Int)
    }

    private static func decodeChunked(_ buffer: [UInt8], from start: Int) -> ChunkedResult {
        var body: [UInt8] = []
        var cursor = start
        while true {
            guard let lineEnd = findLF(buffer, from: cursor) else { return .needMore }
            let sizeLine = buffer[cursor..<lineEnd]
            var sizeText = String(decoding: sizeLine.last == 0x0D ? sizeLine.dropLast() : sizeLine, as: UTF8.self)
            if let semicolon = sizeText.firstIndex(of: ";") { sizeText = String(sizeText[..<semicolon]) }
            guard let size = Int(trimmingBlanks(sizeText), radix: 16), size >= 0 else {
                return .invalid("malformed chunk size")
            }
            cursor = lineEnd + 1
            if size == 0 {
                // Trailer fields (ignored) up to an empty line.
                while true {
                    guard let end = findLF(buffer, from: cursor) else { return .needMore }
                    let isEmpty = end == cursor || (end == cursor + 1 && buffer[cursor] == 0x0D)
                    cursor = end + 1
                    if isEmpty { return .complete(body, end: cursor) }
                }
            }
            guard body.count + size <= maxBodyBytes else { return .invalid("request body too large") }
            guard buffer.count >= cursor + size + 1 else { return .needMore }
            body.append(contentsOf: buffer[cursor..<(cursor + size)])
            cursor += size
            if buffer[cursor] == 0x0D {
                guard buffer.count >= cursor + 2 else { return .needMore }
                cursor += 1
            }
            guard buffer[cursor] == 0x0A else { return .invalid("missing CRLF after chunk data") }
            cursor += 1
        }
    }

    private static func findLF(_ buffer: [UInt8], from start: Int) -> Int? {
        var index = start
        while index < buffer.count {
            if buffer[index] == 0x0A { return index }
            index += 1
        }
        return nil
    }
}

/// Serializes a complete HTTP/1.1 response into one buffer, so the server can hand it to a single
/// `send` (several small writes on a loopback socket trigger Nagle / delayed-ACK stalls of ~40 ms).
enum HTTPResponse {
    static func serialize(
        status: Int, headers: [(String, String)], body: [UInt8], close: Bool, omitBody: Bool = false
    ) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(reasonPhrase(status))\r\n"
        let lowered = headers.map { $0.0.lowercased() }
        if !lowered.contains("content-type") { head += "Content-Type: application/json\r\n" }
        if !lowered.contains("content-length") { head += "Content-Length: \(body.count)\r\n" }
        if !lowered.contains("connection") { head += close ? "Connection: close\r\n" : "Connection: keep-alive\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        var bytes = Array(head.utf8)
        // A response to HEAD announces the body's length but carries none.
        if !omitBody { bytes.append(contentsOf: body) }
        return bytes
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 204: "No Content"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Status \(status)"
        }
    }
}

/// Whether two header names are equal ignoring case (`lowercased()` equality, without allocating
/// for ASCII names, which every real header name is).
func headerNamesMatch(_ lhs: String, _ rhs: String) -> Bool {
    let a = lhs.utf8
    let b = rhs.utf8
    guard a.count == b.count else {
        // Lower-casing non-ASCII text can change its length.
        return !(a.allSatisfy { $0 < 0x80 } && b.allSatisfy { $0 < 0x80 }) && lhs.lowercased() == rhs.lowercased()
    }
    for (x, y) in zip(a, b) {
        if x >= 0x80 || y >= 0x80 { return lhs.lowercased() == rhs.lowercased() }
        let lx = x >= 0x41 && x <= 0x5A ? x + 0x20 : x
        let ly = y >= 0x41 && y <= 0x5A ? y + 0x20 : y
        if lx != ly { return false }
    }
    return true
}

/// Whether `text.lowercased()` contains `needle` (lowercase ASCII), on bytes for ASCII text (the
/// generic `String.contains` cost the stub more than answering the request).
func lowercasedContains(_ text: String, _ needle: StaticString) -> Bool {
    let wanted = UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
    guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return text.lowercased().contains(needle.description) }
    let bytes = Array(text.utf8)
    guard bytes.count >= wanted.count else { return wanted.isEmpty }
    for start in 0...(bytes.count - wanted.count) {
        var match = true
        for offset in 0..<wanted.count {
            let byte = bytes[start + offset]
            if (byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte) != wanted[offset] {
                match = false
                break
            }
        }
        if match { return true }
    }
    return false
}

/// The text without leading and trailing spaces and tabs (header values, chunk sizes).
func trimmingBlanks(_ text: some StringProtocol) -> String {
    var slice = Substring(text)
    while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
    while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
    return String(slice)
}
