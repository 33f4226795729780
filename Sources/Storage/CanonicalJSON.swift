public import Foundation

/// The canonical JSON form used for digests and golden files: one text per value, byte for byte.
///
/// Rules (tool-tasks spec §10.3):
/// - object keys sorted by their UTF-8 bytes; no whitespace anywhere;
/// - integers in base 10;
/// - doubles with an integral value and |x| < 2^53 written as integers (`25.0` → `25`, `-0.0` → `0`);
///   other doubles as the shortest decimal that round-trips, never with an exponent
///   (`1e-7` → `0.0000001`, `1.5e300` → `15` followed by 299 zeros);
/// - strings escape only `"`, `\` and U+0000–U+001F (as `\b \f \n \r \t` or `\u00xx`, lowercase hex);
///   everything else is raw UTF-8;
/// - NaN and ±infinity have no JSON form: they are written as `null`.
///
/// Because integral doubles print as integers, `.integer(25)` and `.number(25.0)` share one canonical text.
public enum CanonicalJSON {
    /// The canonical text of `value`.
    public static func string(_ value: JSONValue) -> String {
        var writer = JSONWriter(canonical: true)
        writer.write(value)
        return writer.output
    }

    /// The canonical text of `value` as UTF-8 bytes.
    public static func data(_ value: JSONValue) -> Data {
        var writer = JSONWriter(canonical: true)
        writer.write(value)
        return Data(writer.bytes)
    }

    /// The canonical text of `value` as UTF-8 bytes.
    public static func bytes(_ value: JSONValue) -> [UInt8] {
        var writer = JSONWriter(canonical: true)
        writer.write(value)
        return writer.bytes
    }

    /// The canonical text of a double (see the type's rules); `null` for NaN and infinities.
    public static func numberText(_ double: Double) -> String {
        guard double.isFinite else { return "null" }
        if double == 0 { return "0" }
        if double == double.rounded(), abs(double) < 9_007_199_254_740_992.0, let integer = Int64(exactly: double) {
            return String(integer)
        }
        return expandedDecimal(double)
    }

    /// Rewrites Swift's shortest round-trip description (which may use an exponent) as a plain decimal.
    private static func expandedDecimal(_ double: Double) -> String {
        let text = abs(double).description  // e.g. "0.1", "1e-07", "1.5e+300", "12345.678"
        let parts = text.split(separator: "e", maxSplits: 1)
        let mantissa = parts[0]
        let exponent = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        var digits = Array(mantissa.utf8.filter { $0 != UInt8(ascii: ".") })
        var point =
            (mantissa.utf8.firstIndex(of: UInt8(ascii: ".")).map {
                mantissa.utf8.distance(from: mantissa.utf8.startIndex, to: $0)
            } ?? mantissa.utf8.count) + exponent
        while let first = digits.first, first == UInt8(ascii: "0"), digits.count > 1 {
            digits.removeFirst()
            point -= 1
        }
        while let last = digits.last, last == UInt8(ascii: "0"), digits.count > 1 {
            digits.removeLast()
        }
        var result = double < 0 ? "-" : ""
        let digitText = String(decoding: digits, as: UTF8.self)
        if point <= 0 {
            result += "0." + String(repeating: "0", count: -point) + digitText
        } else if point >= digits.count {
            result += digitText + String(repeating: "0", count: point - digits.count)
        } else {
            result +=
                String(decoding: digits[..<point], as: UTF8.self) + "."
                + String(decoding: digits[point...], as: UTF8.self)
        }
        return result
    }
}
