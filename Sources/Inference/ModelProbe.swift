import Foundation
public import Storage

/// What `agora model check` found out about an endpoint.
public struct ModelProbeReport: Sendable, Hashable {
    /// One check.
    public struct Check: Sendable, Hashable {
        /// What was checked.
        public var name: String
        /// Whether it passed.
        public var passed: Bool
        /// What was seen.
        public var detail: String
        /// How long it took, in milliseconds.
        public var milliseconds: Double
    }

    /// The model identifier.
    public var model: String
    /// The endpoint, without credentials.
    public var endpoint: String
    /// The checks, in the order they ran.
    public var checks: [Check]
    /// The strongest structured-output mode that worked, if any.
    public var structuredMode: StructuredOutputMode?

    /// Whether the endpoint is usable: it answered a chat request.
    public var usable: Bool { checks.first { $0.name == "chat" }?.passed ?? false }

    /// The report as a table.
    public func table() -> String {
        var lines = ["model     \(model)", "endpoint  \(endpoint)", ""]
        lines.append(
            "check".padding(toLength: 14, withPad: " ", startingAt: 0) + "result  " + "ms".leftPad(8) + "  detail")
        for check in checks {
            lines.append(
                check.name.padding(toLength: 14, withPad: " ", startingAt: 0) + (check.passed ? "ok    " : "FAILED")
                    + "  " + String(format: "%.0f", check.milliseconds).leftPad(8) + "  " + check.detail)
        }
        return lines.joined(separator: "\n")
    }

    /// The report as JSON (keys in a fixed order).
    public func json() -> JSONValue {
        .object(
            JSONObject([
                ("model", .string(model)),
                ("endpoint", .string(endpoint)),
                ("usable", .bool(usable)),
                ("structuredMode", structuredMode.map { .string($0.description) } ?? .null),
                (
                    "checks",
                    .array(
                        checks.map {
                            .object(
                                JSONObject([
                                    ("name", .string($0.name)), ("passed", .bool($0.passed)),
                                    ("detail", .string($0.detail)),
                                    ("milliseconds", .number(($0.milliseconds * 10).rounded() / 10)),
                                ]))
                        })
                ),
            ]))
    }
}

extension String {
    func leftPad(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

/// Probes an endpoint: does it answer, does it produce schema-valid JSON, and how fast.
public enum ModelProbe {
    /// The schema of the structured-output check.
    static let schema: JSONValue = .object(
        JSONObject([
            ("type", "object"),
            (
                "properties",
                .object(
                    JSONObject([
                        ("answer", .object(JSONObject([("type", "string"), ("enum", .array(["yes", "no"]))]))),
                        ("confidence", .object(JSONObject([("type", "integer"), ("minimum", 1), ("maximum", 5)]))),
                    ]))
            ),
            ("required", .array(["answer", "confidence"])),
        ]))

    /// Runs the checks against `model`; `endpoint` is shown in the report.
    public static func run(_ model: any LanguageModel, endpoint: String) async -> ModelProbeReport {
        var report = ModelProbeReport(model: model.identifier, endpoint: endpoint, checks: [], structuredMode: nil)
        let clock = ContinuousClock()
        if let profile = (model as? OpenAICompatibleModel)?.profile {
            let window = profile.contextWindow.map { "\($0) tokens (\(profile.contextSource))" } ?? "unknown"
            report.checks.append(
                .init(
                    name: "server", passed: true,
                    detail:
                        "\(profile.kind.rawValue); context window \(window); structured output starts with \(profile.structuredForm)",
                    milliseconds: 0))
        }

        var start = clock.now
        do {
            let response = try await model.complete(
                ChatRequest(
                    messages: [.system("You are a helpful assistant."), .user("Say OK.")], temperature: 0,
                    maxTokens: 16))
            let text = response.content.trimmingCharacters(in: .whitespacesAndNewlines)
            report.checks.append(
                .init(
                    name: "chat", passed: true,
                    detail:
                        "answered \(response.usage.completionTokens) tokens: \(String(text.prefix(40)).debugDescription)",
                    milliseconds: milliseconds(clock.now - start)))
        } catch {
            report.checks.append(
                .init(
                    name: "chat", passed: false, detail: String(describing: error),
                    milliseconds: milliseconds(clock.now - start)))
            return report
        }

        start = clock.now
        do {
            let result = try await StructuredGenerator(model: model).generate(
                ChatRequest(
                    messages: [
                        .system("You answer questions about the world as JSON."),
                        .user("Is the sky blue on a clear day? Give your answer and your confidence from 1 to 5."),
                    ], temperature: 0, maxTokens: 48),
                schema: schema, name: "probe")
            report.structuredMode = result.mode
            report.checks.append(
                .init(
                    name: "json-schema", passed: true,
                    detail:
                        "valid JSON via \(result.mode) in \(result.attempts) call\(result.attempts == 1 ? "" : "s"): \(result.value.serialized())",
                    milliseconds: milliseconds(clock.now - start)))
        } catch {
            report.checks.append(
                .init(
                    name: "json-schema", passed: false, detail: error.message,
                    milliseconds: milliseconds(clock.now - start)))
        }
        return report
    }

    static func milliseconds(_ d: Duration) -> Double {
        let c = d.components
        return Double(c.seconds) * 1000 + Double(c.attoseconds) * 1e-15
    }
}
