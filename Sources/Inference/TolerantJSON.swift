import Foundation
import Storage

/// Finds the JSON a model meant to write in text that may wrap it in prose or code fences, or
/// leave trailing commas.
///
/// Linear in the answer's length: at most ``maximumCandidates`` opening brackets are tried, each
/// with one scan and at most two parses, and the parser stops at its nesting limit (512), so a
/// hostile answer (`[[[[…` ten thousand deep) is rejected in milliseconds, not minutes.
enum TolerantJSON {
    /// How many opening brackets are tried as the start of the JSON before giving up.
    static let maximumCandidates = 32

    /// The first JSON object or array that can be recovered from `text`, or `nil`.
    static func extract(_ text: String) -> JSONValue? {
        // Well-formed answers (the usual case) parse as they are: the parser skips JSON whitespace,
        // a subset of what trimming removes, so the value is the one the trimmed text gives.
        if let value = try? JSONValue.parse(text), isContainer(value) { return value }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if let value = try? JSONValue.parse(trimmed), isContainer(value) { return value }
        let scalars = Array(trimmed.unicodeScalars)
        var start = 0
        var candidates = 0
        while start < scalars.count, candidates < maximumCandidates {
            candidates += 1
            guard let open = scalars[start...].firstIndex(where: { $0 == "{" || $0 == "[" }) else { return nil }
            if let end = matchingClose(scalars, from: open) {
                let candidate = String(String.UnicodeScalarView(scalars[open...end]))
                if let value = try? JSONValue.parse(candidate) { return value }
                if let value = try? JSONValue.parse(removingTrailingCommas(candidate)) { return value }
            } else {
                // Unbalanced to the end (the model ran out of tokens): try closing it.
                let candidate = String(String.UnicodeScalarView(scalars[open...]))
                if let value = closeTruncated(candidate) { return value }
            }
            start = open + 1
        }
        return nil
    }

    private static func isContainer(_ value: JSONValue) -> Bool {
        switch value {
        case .object, .array: true
        default: false
        }
    }

    /// The index of the bracket closing the one at `open`, skipping brackets inside strings.
    private static func matchingClose(_ s: [Unicode.Scalar], from open: Int) -> Int? {
        var depth = 0
        var scanner = StringScanner()
        for i in open..<s.count where scanner.isStructural(s[i]) {
            if s[i] == "{" || s[i] == "[" {
                depth += 1
            } else if s[i] == "}" || s[i] == "]" {
                depth -= 1
                if depth == 0 { return i }
            }
        }
        return nil
    }

    /// Removes commas that directly precede `}` or `]` outside strings.
    static func removingTrailingCommas(_ text: String) -> String {
        var out: [Unicode.Scalar] = []
        var scanner = StringScanner()
        for c in text.unicodeScalars {
            if scanner.isStructural(c), c == "}" || c == "]" {
                while let last = out.last, last == " " || last == "\n" || last == "\t" || last == "\r" {
                    out.removeLast()
                }
                if out.last == "," { out.removeLast() }
            }
            out.append(c)
        }
        return String(String.UnicodeScalarView(out))
    }

    /// Closes open strings and brackets of a truncated document, dropping a dangling key or comma.
    private static func closeTruncated(_ text: String) -> JSONValue? {
        var stack: [Unicode.Scalar] = []
        var scanner = StringScanner()
        for c in text.unicodeScalars {
            if !scanner.isStructural(c) {
                continue
            } else if c == "{" {
                stack.append("}")
            } else if c == "[" {
                stack.append("]")
            } else if c == "}" || c == "]" {
                if !stack.isEmpty { stack.removeLast() }
            }
        }
        var candidate = text
        if scanner.inString { candidate += "\"" }
        let closing = String(String.UnicodeScalarView(stack.reversed()))
        for attempt in [candidate + closing, removingTrailingCommas(candidate + closing)] {
            if let value = try? JSONValue.parse(attempt), isContainer(value) { return value }
        }
        return nil
    }
}

/// Tracks whether a scan through JSON text is inside a string literal (escapes included).
struct StringScanner {
    private(set) var inString = false
    private var escaped = false

    /// Feeds the next scalar; returns whether it is structural: outside a string and not a quote.
    mutating func isStructural(_ c: Unicode.Scalar) -> Bool {
        if inString {
            if escaped {
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == "\"" {
                inString = false
            }
            return false
        }
        if c == "\"" {
            inString = true
            return false
        }
        return true
    }
}
