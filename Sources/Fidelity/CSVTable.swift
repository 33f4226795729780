import Foundation
public import Runs

/// An RFC 4180 CSV file read into rows of string cells, with the header row kept apart.
///
/// Quoted fields may hold commas, line breaks and doubled quotes; `\r\n` and `\n` both end a record.
/// A ragged row (a different number of cells from the header) or bad quoting is an `invalidInput`
/// ``RunError`` naming the file, the line and column, and the fix.
public struct CSVTable: Sendable {
    /// The header row.
    public var header: [String]
    /// The data rows, each with exactly `header.count` cells.
    public var rows: [[String]]
    /// The 1-based line on which each data row starts (quoted line breaks make it differ from the index).
    public var lines: [Int]

    /// Parses `text`; `file` names the file in errors.
    public static func parse(_ text: String, file: String?) throws(RunError) -> CSVTable {
        var records: [[String]] = []
        var starts: [Int] = []
        var record: [String] = []
        var field: [UInt8] = []
        var line = 1
        var column = 0
        var recordLine = 1
        var quoted = false
        var wasQuoted = false
        var afterQuote = false
        var quoteLine = 1
        var quoteColumn = 1
        let bytes = Array(text.utf8)
        func cell() -> String { String(decoding: field, as: UTF8.self) }
        func fail(_ message: String, _ l: Int, _ c: Int) -> RunError {
            RunError(.invalidInput, message, file: file, path: "line \(l), column \(c)")
        }
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            column += 1
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 1
                        column += 1
                    } else {
                        quoted = false
                        afterQuote = true
                    }
                } else {
                    if byte == UInt8(ascii: "\n") {
                        line += 1
                        column = 0
                    }
                    field.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: ","):
                record.append(cell())
                field.removeAll(keepingCapacity: true)
                wasQuoted = false
                afterQuote = false
            case UInt8(ascii: "\r") where index < bytes.count && bytes[index] == UInt8(ascii: "\n"):
                continue
            case UInt8(ascii: "\n"):
                record.append(cell())
                field.removeAll(keepingCapacity: true)
                records.append(record)
                starts.append(recordLine)
                record.removeAll()
                wasQuoted = false
                afterQuote = false
                line += 1
                column = 0
                recordLine = line
            case UInt8(ascii: "\""):
                guard field.isEmpty, !wasQuoted else {
                    throw fail(
                        "a quote inside an unquoted field; quote the whole field and double the quote (\"\")", line,
                        column)
                }
                quoted = true
                wasQuoted = true
                quoteLine = line
                quoteColumn = column
            default:
                if afterQuote {
                    throw fail(
                        "text after a closing quote; quote the whole field and double any quote inside it (\"\")",
                        line, column)
                }
                field.append(byte)
            }
        }
        if quoted {
            throw fail("a quoted field is never closed; add the closing quote", quoteLine, quoteColumn)
        }
        if !field.isEmpty || !record.isEmpty || wasQuoted {
            record.append(cell())
            records.append(record)
            starts.append(recordLine)
        }
        guard let header = records.first else {
            throw RunError(.invalidInput, "the file is empty; add a header row and one row per respondent", file: file)
        }
        var rows: [[String]] = []
        var lines: [Int] = []
        for (position, row) in records.enumerated().dropFirst() {
            if row == [""] { continue }  // a blank line
            guard row.count == header.count else {
                let column = row.count > header.count ? header.count + 1 : row.count
                throw fail(
                    "this row has \(row.count) cells but the header has \(header.count); every row needs one cell per column (quote cells that contain commas)",
                    starts[position], column)
            }
            rows.append(row)
            lines.append(starts[position])
        }
        return CSVTable(header: header, rows: rows, lines: lines)
    }
}
