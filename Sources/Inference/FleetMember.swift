public import Foundation

/// One endpoint of a model fleet (`--model URL,URL,…` or `--model @FILE`): its base URL and, from
/// an endpoints file, its own in-flight limit.
///
/// An endpoints file has one endpoint a line: the base URL, optionally followed by
/// `concurrency=N` (requests in flight at once on that endpoint; default `--concurrency`, else 16).
/// Blank lines and lines starting with `#` are ignored.
///
/// ```
/// # two vLLM replicas and a smaller box
/// http://gpu1:8000/v1
/// http://gpu2:8000/v1
/// http://gpu3:8000/v1 concurrency=4
/// ```
public struct FleetMember: Sendable, Hashable {
    /// The base URL (usually ending in `/v1`).
    public var url: URL
    /// Requests in flight at once on this endpoint; `nil`: the run's per-endpoint concurrency.
    public var maxInFlight: Int?

    /// Creates a member.
    public init(url: URL, maxInFlight: Int? = nil) {
        self.url = url
        self.maxInFlight = maxInFlight
    }

    /// Reads an endpoints file.
    ///
    /// - Throws: ``InferenceError`` (`invalidConfiguration`) naming the file, the line and the fix.
    public static func load(_ path: String) throws(InferenceError) -> [FleetMember] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw InferenceError(
                .invalidConfiguration,
                "--model @\(path): cannot read the endpoints file; check the path (one http(s)://…/v1 URL a line)",
                underlying: error)
        }
        return try parseFile(text, at: path)
    }

    /// Parses the text of an endpoints file; `path` names it in errors.
    public static func parseFile(_ text: String, at path: String) throws(InferenceError) -> [FleetMember] {
        var members: [FleetMember] = []
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            func fail(_ reason: String) -> InferenceError {
                InferenceError(.invalidConfiguration, "\(path) line \(offset + 1): \(reason)")
            }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            let address = fields[0]
            guard address.hasPrefix("http://") || address.hasPrefix("https://"), let url = URL(string: address),
                url.host != nil
            else {
                throw fail(
                    "\"\(address)\" is not an http(s)://…/v1 URL; write one base URL a line, e.g. http://10.0.0.5:8000/v1"
                )
            }
            var member = FleetMember(url: url)
            for field in fields.dropFirst() {
                guard field.hasPrefix("concurrency="), let n = Int(field.dropFirst("concurrency=".count)),
                    (1...4096).contains(n)
                else {
                    throw fail("unknown setting \"\(field)\"; the only one is concurrency=N (1…4096) after the URL")
                }
                member.maxInFlight = n
            }
            if members.contains(where: { $0.url == url }) {
                throw fail("\(address) is listed twice; list each endpoint once (raise its concurrency=N instead)")
            }
            members.append(member)
        }
        guard !members.isEmpty else {
            throw InferenceError(
                .invalidConfiguration, "\(path): no endpoints; write one http(s)://…/v1 URL a line (# starts a comment)"
            )
        }
        return members
    }
}
