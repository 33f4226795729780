import Foundation
import Storage

/// File helpers shared by the loaders.
enum DataFiles {
    static func read(_ path: String, code: PopulationError.Code = .io) throws(PopulationError) -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw PopulationError(
                code, "cannot read the file; check that it exists and is UTF-8 text", file: path,
                underlying: error as any Error & Sendable)
        }
    }

    static func json(_ path: String, code: PopulationError.Code) throws(PopulationError) -> JSONValue {
        let text = try read(path, code: code)
        do {
            return try JSONValue.parse(text)
        } catch {
            throw PopulationError(
                code, "not valid JSON at line \(error.line), column \(error.column): \(error.message)", file: path,
                underlying: error)
        }
    }

    /// Resolves `relative` against the directory of `base` (or returns it when absolute).
    static func resolve(_ relative: String, against baseDirectory: String?) -> String {
        if relative.hasPrefix("/") { return relative }
        guard let baseDirectory, !baseDirectory.isEmpty else { return relative }
        return (baseDirectory as NSString).appendingPathComponent(relative)
    }

    static func directory(of file: String) -> String { (file as NSString).deletingLastPathComponent }
}

/// A minimal RFC 4180 CSV reader: comma separated, double-quoted fields with "" escapes.
struct CSVTable {
    var header: [String]
    var rows: [[String]]
    /// 1-based line numbers of the rows.
    var lines: [Int]
    let file: String

    static func load(_ path: String) throws(PopulationError) -> CSVTable {
        let text = try read(path)
        return try parse(text, file: path)
    }

    private static func read(_ path: String) throws(PopulationError) -> String {
        try DataFiles.read(path, code: .invalidCSV)
    }

    static func parse(_ text: String, file: String) throws(PopulationError) -> CSVTable {
        var records: [[String]] = []
        var lines: [Int] = []
        var field = ""
        var record: [String] = []
        var inQuotes = false
        var line = 1
        var recordLine = 1
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func finishRecord() {
            record.append(field)
            field = ""
            if !(record.count == 1 && record[0].trimmingCharacters(in: .whitespaces).isEmpty) {
                records.append(record)
                lines.append(recordLine)
            }
            record = []
        }
        while let scalar = pending ?? iterator.next() {
            pending = nil
            if inQuotes {
                if scalar == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" {
                            field.unicodeScalars.append("\"")
                        } else {
                            inQuotes = false
                            pending = next
                        }
                    } else {
                        inQuotes = false
                    }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.unicodeScalars.append(scalar)
                }
            } else if scalar == "\"" {
                inQuotes = true
            } else if scalar == "," {
                record.append(field)
                field = ""
            } else if scalar == "\n" {
                finishRecord()
                line += 1
                recordLine = line
            } else if scalar != "\r" {
                field.unicodeScalars.append(scalar)
            }
        }
        if inQuotes {
            throw PopulationError(.invalidCSV, "unterminated quoted field", file: file, path: "line \(recordLine)")
        }
        if !field.isEmpty || !record.isEmpty { finishRecord() }
        guard let header = records.first else {
            throw PopulationError(.invalidCSV, "the CSV file is empty; it needs a header row", file: file)
        }
        let trimmedHeader = header.map { $0.trimmingCharacters(in: .whitespaces) }
        var rows: [[String]] = []
        for (index, row) in records.dropFirst().enumerated() {
            let line = lines[index + 1]
            guard row.count == trimmedHeader.count else {
                throw PopulationError(
                    .invalidCSV,
                    "row has \(row.count) fields but the header has \(trimmedHeader.count); fill the missing cell",
                    file: file, path: "line \(line)")
            }
            for (column, value) in row.enumerated() where value.trimmingCharacters(in: .whitespaces).isEmpty {
                throw PopulationError(
                    .invalidCSV, "empty cell in column '\(trimmedHeader[column])'; fill the missing value",
                    file: file, path: "line \(line), column \(column + 1)")
            }
            rows.append(row.map { $0.trimmingCharacters(in: .whitespaces) })
        }
        return CSVTable(header: trimmedHeader, rows: rows, lines: Array(lines.dropFirst()), file: file)
    }

    func number(_ row: Int, _ column: Int) throws(PopulationError) -> Double {
        guard let value = Double(rows[row][column]), value.isFinite else {
            throw PopulationError(
                .invalidCSV, "'\(rows[row][column])' in column '\(header[column])' is not a number", file: file,
                path: "line \(lines[row]), column \(column + 1)")
        }
        return value
    }
}
