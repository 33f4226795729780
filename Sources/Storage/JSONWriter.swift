/// Writes ``JSONValue``s as text, either in their own key order (``JSONValue/serialized(pretty:)``)
/// or canonically (``CanonicalJSON``).
///
/// The text is built as UTF-8 bytes and turned into a `String` once at the end: appending many
/// small pieces to a `String` cost more than the JSON itself (this is on every model call's path:
/// the request body, the cache key, the run store's rows).
struct JSONWriter {
    var bytes: [UInt8] = []
    private let pretty: Bool
    private let canonical: Bool

    init(pretty: Bool = false, canonical: Bool = false) {
        self.pretty = pretty
        self.canonical = canonical
        bytes.reserveCapacity(256)
    }

    /// The text written so far.
    var output: String { String(decoding: bytes, as: UTF8.self) }

    mutating func write(_ value: JSONValue, indent: Int = 0) {
        switch value {
        case .null:
            append("null")
        case .bool(let flag):
            append(flag ? "true" : "false")
        case .integer(let integer):
            Self.writeInteger(integer, into: &bytes)
        case .number(let double):
            bytes.append(
                contentsOf: (canonical ? CanonicalJSON.numberText(double) : JSONWriter.plainNumberText(double)).utf8)
        case .string(let string):
            JSONWriter.writeString(string, into: &bytes)
        case .array(let array):
            guard !array.isEmpty else {
                append("[]")
                return
            }
            bytes.append(UInt8(ascii: "["))
            for (index, element) in array.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                write(element, indent: indent + 1)
            }
            newline(indent)
            bytes.append(UInt8(ascii: "]"))
        case .object(let object):
            guard !object.isEmpty else {
                append("{}")
                return
            }
            bytes.append(UInt8(ascii: "{"))
            let keys = object.keys
            let values = object.values
            var order = Array(keys.indices)
            if canonical { order.sort { JSONObject.utf8Precedes(keys[$0], keys[$1]) } }
            for (index, position) in order.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                JSONWriter.writeString(keys[position], into: &bytes)
                if pretty { append(": ") } else { bytes.append(UInt8(ascii: ":")) }
                write(values[position], indent: indent + 1)
            }
            newline(indent)
            bytes.append(UInt8(ascii: "}"))
        }
    }

    private mutating func append(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private mutating func newline(_ indent: Int) {
        guard pretty else { return }
        bytes.append(0x0A)
        bytes.append(contentsOf: repeatElement(0x20, count: 2 * indent))
    }

    /// Appends `value` in base 10 (as `String(value)` writes it) without building a String.
    static func writeInteger(_ value: Int64, into bytes: inout [UInt8]) {
        var magnitude = value.magnitude
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var digits = 1
        var rest = magnitude
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digits))
        var position = start + digits - 1
        repeat {
            bytes[position] = UInt8(ascii: "0") + UInt8(magnitude % 10)
            magnitude /= 10
            position -= 1
        } while magnitude > 0
    }

    /// Swift's shortest round-trip form, which always has a '.' or an exponent, so it parses back as a
    /// number; NaN and infinities become `null`.
    static func plainNumberText(_ double: Double) -> String {
        guard double.isFinite else { return "null" }
        return double.description
    }

    /// Appends `string` as a JSON string literal (UTF-8), escaping only '"', '\' and U+0000–U+001F.
    static func writeString(_ string: String, into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        // Escapes only ever replace ASCII bytes, so the work is done on UTF-8 bytes; most strings
        // need no escape at all and are copied whole.
        let done: Void? = string.utf8.withContiguousStorageIfAvailable { appendEscaped($0, into: &bytes) }
        if done == nil {
            Array(string.utf8).withUnsafeBufferPointer { appendEscaped($0, into: &bytes) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static func appendEscaped(_ source: UnsafeBufferPointer<UInt8>, into bytes: inout [UInt8]) {
        var runStart = 0
        for index in source.indices {
            let byte = source[index]
            guard byte < 0x20 || byte == 0x22 || byte == 0x5C else { continue }
            if runStart < index { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: source[runStart..<index])) }
            runStart = index + 1
            switch byte {
            case 0x22: bytes += [0x5C, 0x22]
            case 0x5C: bytes += [0x5C, 0x5C]
            case 0x08: bytes += [0x5C, UInt8(ascii: "b")]
            case 0x0C: bytes += [0x5C, UInt8(ascii: "f")]
            case 0x0A: bytes += [0x5C, UInt8(ascii: "n")]
            case 0x0D: bytes += [0x5C, UInt8(ascii: "r")]
            case 0x09: bytes += [0x5C, UInt8(ascii: "t")]
            default:
                bytes += [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")]
                bytes.append(hexDigit(byte >> 4))
                bytes.append(hexDigit(byte & 0x0F))
            }
        }
        if runStart < source.count {
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: source[runStart..<source.count]))
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
