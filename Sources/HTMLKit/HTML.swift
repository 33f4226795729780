import Foundation

/// HTML text for Agora's self-contained pages (run reports, the population fragment): escaping, line
/// breaks and the page head with its inline CSS.
public enum HTML {
    /// `text` with `&`, `<`, `>` and `"` escaped, Character by Character (a quote that carries a
    /// combining mark is one Character, not a quote, and stays as it is).
    public static func escape(_ text: String) -> String {
        // Most texts hold none of the four characters: return them as they are. Otherwise, when each
        // of them stands between ASCII bytes (so it is a Character of its own, never part of a
        // cluster with a combining mark), a byte replacement gives what the Character loop gives.
        switch replacingIsolatedASCII(
            text, isTarget: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 },
            with: {
                switch $0 {
                case 0x26: "&amp;"
                case 0x3C: "&lt;"
                case 0x3E: "&gt;"
                default: "&quot;"
                }
            })
        {
        case .unchanged: return text
        case .replaced(let result): return result
        case .needsCharacters: break
        }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(ch)
            }
        }
        return out
    }

    /// `text` with each "\n" as `<br>`: by bytes when every "\n" stands between ASCII bytes other than
    /// CR (what Foundation's search matches there), by Foundation otherwise.
    public static func lineBreaks(_ text: String) -> String {
        switch replacingIsolatedASCII(text, isTarget: { $0 == 0x0A }, with: { _ in "<br>" }, avoidingBefore: 0x0D) {
        case .unchanged: return text
        case .replaced(let result): return result
        case .needsCharacters: return text.replacingOccurrences(of: "\n", with: "<br>")
        }
    }

    /// The document head (inline CSS, `title — Agora report`) and the opening of the body, one
    /// string per line.
    public static func head(title: String) -> [String] {
        var h: [String] = []
        h.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
        h.append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        h.append("<title>\(escape(title)) — Agora report</title>")
        h.append(
            """
            <style>
            body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
            h1{margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
            table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
            th{background:#f4f4f4}.muted{color:#666}.item{margin:1.2em 0}details{margin:.3em 0}summary{cursor:pointer}
            .ev{margin:.2em 0 .2em 1em}.sp{font-weight:600}.failed{color:#b00}svg text{font-size:12px;font-family:inherit}
            </style></head><body>
            """)
        return h
    }

    /// What ``replacingIsolatedASCII(_:isTarget:with:avoidingBefore:)`` found.
    enum Replacement {
        /// No target byte: the text as it is.
        case unchanged
        /// Every target byte replaced.
        case replaced(String)
        /// A target byte touches a non-ASCII byte: replace by Characters instead.
        case needsCharacters
    }

    /// Replaces ASCII target bytes, provided each one's neighbours are ASCII bytes (so it is a whole
    /// Character and a whole UTF-16 unit match); `avoidingBefore` excludes one preceding byte (CR).
    static func replacingIsolatedASCII(
        _ text: String, isTarget: (UInt8) -> Bool, with replacement: (UInt8) -> StaticString,
        avoidingBefore excluded: UInt8? = nil
    ) -> Replacement {
        var copy = text
        return copy.withUTF8 { source -> Replacement in
            var first: Int?
            for index in source.indices where isTarget(source[index]) {
                if index > 0, source[index - 1] >= 0x80 || source[index - 1] == excluded { return .needsCharacters }
                if index + 1 < source.count, source[index + 1] >= 0x80 { return .needsCharacters }
                if first == nil { first = index }
            }
            guard let first else { return .unchanged }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(source.count + 64)
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: source[0..<first]))
            for byte in source[first...] {
                if isTarget(byte) {
                    let piece = replacement(byte)
                    bytes.append(
                        contentsOf: UnsafeBufferPointer(start: piece.utf8Start, count: piece.utf8CodeUnitCount))
                } else {
                    bytes.append(byte)
                }
            }
            return .replaced(String(decoding: bytes, as: UTF8.self))
        }
    }
}
