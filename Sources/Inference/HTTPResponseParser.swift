#if os(Linux)
    import Foundation

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
