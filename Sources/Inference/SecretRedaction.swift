public import Foundation
import Synchronization

/// Removes API keys from text that came from a server (error bodies may echo the `Authorization`
/// header) before it is logged, stored in a run store or shown.
///
/// Every ``InferenceError`` message passes through ``redact(_:environment:)``, so a key echoed by an
/// endpoint never reaches stderr, `run.sqlite`, `results.json`, transcripts, reports or a persona
/// file. Redacted: every key an ``Endpoint`` was created with, the keys in the environment variables
/// Agora reads, and anything shaped like a credential (`Bearer …`, `api-key: …`, `sk-…`).
public enum SecretRedaction {
    /// The environment variables that hold keys.
    public static let keyVariables = ["OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "AGORA_API_KEY"]

    /// What replaces a secret.
    public static let placeholder = "[redacted]"

    private static let known = Mutex<[String]>([])

    /// Remembers a key in use (called when an endpoint is created with one).
    public static func register(_ key: String) {
        guard key.count >= 8 else { return }
        known.withLock { keys in if !keys.contains(key) { keys.append(key) } }
    }

    /// `text` with every known key and credential-shaped token replaced by ``placeholder``.
    public static func redact(
        _ text: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String {
        var keys = known.withLock { $0 }
        for variable in keyVariables {
            guard let key = environment[variable]?.trimmingCharacters(in: .whitespaces), key.count >= 8 else {
                continue
            }
            keys.append(key)
        }
        var out = text
        // Longest first, so a key that contains another is replaced whole.
        for key in keys.sorted(by: { $0.count > $1.count }) where out.contains(key) {
            out = out.replacingOccurrences(of: key, with: placeholder)
        }
        for (regex, template) in patterns {
            out = regex.stringByReplacingMatches(
                in: out, range: NSRange(out.startIndex..., in: out), withTemplate: template)
        }
        return out
    }

    /// Credential shapes: a bearer token, an `api-key` header or field, an OpenAI-style secret key.
    private static let patterns: [(NSRegularExpression, String)] = [
        (#"(?i)(bearer)\s+[A-Za-z0-9._~+/=\-]{8,}"#, "$1 \(placeholder)"),
        (#"(?i)(api[-_]?key"?\s*[:=]\s*"?)[A-Za-z0-9._~+/=\-]{8,}"#, "$1\(placeholder)"),
        (#"\bsk-[A-Za-z0-9_\-]{16,}"#, placeholder),
    ].compactMap { pattern, template in
        (try? NSRegularExpression(pattern: pattern)).map { ($0, template) }
    }
}
