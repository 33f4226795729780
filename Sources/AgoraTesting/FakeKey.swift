import Foundation

/// Credentials for tests, made fresh at run time so that no key-shaped string is ever committed.
public enum FakeKey {
    /// `prefix` followed by 32 random hex digits (e.g. `FakeKey.make("sk-")` looks like an OpenAI key).
    public static func make(_ prefix: String = "test-") -> String {
        prefix + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }
}
