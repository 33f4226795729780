/// Writes ``JSONValue``s as text, either in their own key order (``JSONValue/serialized(pretty:)``)
/// or canonically (``CanonicalJSON``).
struct JSONWriter {
    private(set) var output = ""
    private let pretty: Bool
    private let canonical: Bool

    init(pretty: Bool = false, canonical: Bool = false) {
        self.pretty = pretty
        self.canonical = canonical
    }

    mutating func write(_ value: JSONValue, indent: Int = 0) {
        switch value {
        case .null:
            output += "null"
        case .bool(let flag):
            output += flag ? "true" : "false"
        case .integer(let integer):
            output += String(integer)
        case .number(let double):
            output += canonical ? CanonicalJSON.numberText(double) : JSONWriter.plainNumberText(double)
        case .string(let string):
            JSONWriter.writeString(string, into: &output)
        case .array(let array):
            guard !array.isEmpty else {
                output += "[]"
                return
            }
            output += "["
            for (index, element) in array.enumerated() {
                if index > 0 { output += "," }
                newline(indent + 1)
                write(element, indent: indent + 1)
            }
            newline(indent)
            output += "]"
        case .object(let object):
            guard !object.isEmpty else {
                output += "{}"
                return
            }
            output += "{"
            let keys = canonical ? object.keys.sorted(by: JSONObject.utf8Precedes) : object.keys
            for (index, key) in keys.enumerated() {
                if index > 0 { output += "," }
                newline(indent + 1)
                JSONWriter.writeString(key, into: &output)
                output += pretty ? ": " : ":"
                write(object[key] ?? .null, indent: indent + 1)
            }
            newline(indent)
            output += "}"
        }
    }

    private mutating func newline(_ indent: Int) {
        guard pretty else { return }
        output += "\n"
        output += String(repeating: "  ", count: indent)
    }

    /// Swift's shortest round-trip form, which always has a '.' or an exponent, so it parses back as a
    /// number; NaN and infinities become `null`.
    static func plainNumberText(_ double: Double) -> String {
        guard double.isFinite else { return "null" }
        return double.description
    }

    /// Appends `string` as a JSON string literal, escaping only '"', '\' and U+0000–U+001F.
    static func writeString(_ string: String, into output: inout String) {
        output += "\""
        var pendingStart = string.unicodeScalars.startIndex
        var index = pendingStart
        let scalars = string.unicodeScalars
        while index < scalars.endIndex {
            let scalar = scalars[index]
            let escape: String?
            switch scalar.value {
            case 0x22: escape = "\\\""
            case 0x5C: escape = "\\\\"
            case 0x08: escape = "\\b"
            case 0x0C: escape = "\\f"
            case 0x0A: escape = "\\n"
            case 0x0D: escape = "\\r"
            case 0x09: escape = "\\t"
            case 0x00..<0x20:
                let hex = String(scalar.value, radix: 16)
                escape = "\\u00" + (hex.count < 2 ? "0" + hex : hex)
            default: escape = nil
            }
            if let escape {
                output.unicodeScalars.append(contentsOf: scalars[pendingStart..<index])
                output += escape
                pendingStart = scalars.index(after: index)
            }
            index = scalars.index(after: index)
        }
        output.unicodeScalars.append(contentsOf: scalars[pendingStart..<scalars.endIndex])
        output += "\""
    }
}
