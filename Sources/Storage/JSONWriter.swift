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
        // Escapes only ever replace ASCII bytes, so the work is done on UTF-8 bytes; most strings
        // need no escape at all and are appended whole (this is on the cache-key hot path).
        var needsEscape = false
        for byte in string.utf8 where byte < 0x20 || byte == 0x22 || byte == 0x5C {
            needsEscape = true
            break
        }
        guard needsEscape else {
            output += string
            output += "\""
            return
        }
        let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(string.utf8.count + 16)
        for byte in string.utf8 {
            switch byte {
            case 0x22: bytes += [0x5C, 0x22]
            case 0x5C: bytes += [0x5C, 0x5C]
            case 0x08: bytes += [0x5C, UInt8(ascii: "b")]
            case 0x0C: bytes += [0x5C, UInt8(ascii: "f")]
            case 0x0A: bytes += [0x5C, UInt8(ascii: "n")]
            case 0x0D: bytes += [0x5C, UInt8(ascii: "r")]
            case 0x09: bytes += [0x5C, UInt8(ascii: "t")]
            case 0x00..<0x20:
                bytes += [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")]
                bytes += [hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]]
            default: bytes.append(byte)
            }
        }
        output += String(decoding: bytes, as: UTF8.self)
        output += "\""
    }
}
