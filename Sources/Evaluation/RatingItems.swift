import Agents
public import Foundation
import Population
public import Runs
import Storage

/// One rating item of the validation kit (evaluation.md §C.2): a simulated speaker's line with its
/// persona and the lines before it, to be rated 1–6 by human raters.
public struct RatingItem: Sendable, Hashable {
    /// `<unit id>#<seq>`: the id the judge's consistency-lines.jsonl uses for the same line.
    public var item: String
    /// The conversation (unit id).
    public var unit: String
    /// The speaker's display name.
    public var speaker: String
    /// The persona as the speaker's prompt showed it.
    public var persona: String
    /// The lines before it, one `[seq] Name: text` a line.
    public var priorLines: String
    /// The line to rate.
    public var line: String

    /// Creates an item.
    public init(item: String, unit: String, speaker: String, persona: String, priorLines: String, line: String) {
        self.item = item
        self.unit = unit
        self.speaker = speaker
        self.persona = persona
        self.priorLines = priorLines
        self.line = line
    }
}

/// `agora evaluate export-items RUN_DIR`: the rating items of a conversation run as CSV.
public enum RatingItems {
    /// The question every item asks (the original study's wording, 6-point scale).
    public static let instruction =
        "How consistent is the current line with the persona description and the conversation so far? Rate it from 1 (completely inconsistent) to 6 (completely consistent); 4 or more counts as consistent."

    /// The CSV header of exported items; raters fill `rating`.
    public static let header = ["item", "unit", "speaker", "persona", "prior_lines", "line", "instruction", "rating"]

    /// The items of the run in `directory`, in unit then line order: the lines the judge rated
    /// prompt-to-line (consistency-lines.jsonl) when there is one, otherwise every utterance of a
    /// simulated speaker (everyone but the moderator or interviewer).
    ///
    /// - Throws: ``RunError`` when the folder is not a conversation run or its files do not read.
    public static func items(_ directory: URL) async throws -> [RatingItem] {
        let store = try RunStore.open(directory)
        let data = try await RunData.load(store)
        let document =
            data.manifest.kind == "experiment" ? data.manifest.document["base"] ?? .null : data.manifest.document
        let kind = document["kind"]?.stringValue ?? data.manifest.kind
        guard RunComparison.conversationKinds.contains(kind) else {
            throw RunError(
                .invalidInput,
                "this is a \(kind) run; rating items are the lines of conversation runs (interview, focus-group, brainstorm)",
                file: directory.path)
        }
        var judged: Set<String>?
        let linesFile = directory.appendingPathComponent(judgeLinesFile)
        if FileManager.default.fileExists(atPath: linesFile.path) {
            judged = Set(try judgeLines(linesFile).filter { $0.metric == "p2l" }.map(\.item))
        }
        let staff = Set(
            [
                document["session"]?["moderator"]?.stringValue,
                document["interview"]?["interviewer"]?["persona"]?.stringValue,
                "interviewer",
            ].compactMap { $0 })
        var personaText: [String: String] = [:]
        for stored in data.personas {
            if let persona = try? Persona(json: stored.json, path: "personas[\(stored.id)]") {
                personaText[stored.id] = AgentProfile(persona).personaText
            }
        }
        var items: [RatingItem] = []
        for unit in data.doneUnits {
            let events = data.events[unit.spec.index] ?? []
            var prior: [String] = []
            for event in events {
                guard event.kind == "utterance" || event.kind == "narration" else { continue }
                let name = event.speakerName ?? event.speaker ?? "Narrator"
                let line = rendered(event, name: event.kind == "narration" ? "Narrator" : name)
                if event.kind == "utterance", let speaker = event.speaker {
                    let id = "\(unit.spec.id)#\(event.seq)"
                    let include = judged.map { $0.contains(id) } ?? !staff.contains(speaker)
                    if include {
                        items.append(
                            RatingItem(
                                item: id, unit: unit.spec.id, speaker: name, persona: personaText[speaker] ?? "",
                                priorLines: prior.joined(separator: "\n"), line: event.content))
                    }
                }
                prior.append(line)
            }
        }
        return items
    }

    /// The judge's per-line verdicts `agora evaluate` writes into the run folder.
    public static let judgeLinesFile = "consistency-lines.jsonl"

    /// One line of consistency-lines.jsonl (the issue-12 file contract).
    public struct JudgeLine: Sendable, Hashable {
        /// `<unit id>#<seq>`.
        public var item: String
        /// `p2l` or `l2l`.
        public var metric: String
        /// `consistent` or `contradiction`.
        public var verdict: String
        /// The speaker's name.
        public var speaker: String
    }

    /// Reads consistency-lines.jsonl.
    /// - Throws: ``RunError`` naming the file and the line of a record that does not read.
    public static func judgeLines(_ file: URL) throws(RunError) -> [JudgeLine] {
        let text: String
        do {
            text = try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw RunError(.io, "cannot read the judge's verdicts: \(error.localizedDescription)", file: file.path)
        }
        var lines: [JudgeLine] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            let value: JSONValue
            do {
                value = try JSONValue.parse(line)
            } catch {
                throw RunError(
                    .invalidInput, "not a JSON object: \(error.message); rerun agora evaluate to rewrite the file",
                    file: file.path, path: "line \(index + 1)")
            }
            guard let item = value["item"]?.stringValue, let metric = value["metric"]?.stringValue,
                let verdict = value["verdict"]?.stringValue, verdict == "consistent" || verdict == "contradiction"
            else {
                throw RunError(
                    .invalidInput,
                    "a verdict line needs \"item\", \"metric\" and \"verdict\" (consistent or contradiction); rerun agora evaluate to rewrite the file",
                    file: file.path, path: "line \(index + 1)")
            }
            lines.append(
                JudgeLine(item: item, metric: metric, verdict: verdict, speaker: value["speaker"]?.stringValue ?? ""))
        }
        return lines
    }

    /// `[seq] Name: text`, asides marked `(privately to …)`.
    static func rendered(_ event: RunEvent, name: String) -> String {
        var text = "[\(event.seq)] \(name): "
        if event.data["audience"] != nil {
            let to = (event.data["to"]?.arrayValue ?? []).compactMap(\.stringValue)
            text += "(privately to \(to.isEmpty ? "some" : to.joined(separator: ", "))) "
        }
        return text + event.content
    }

    /// `count` items drawn without replacement with the seeded stream `export-items`, kept in their
    /// run order; all of them when `count` is at least their number.
    public static func sample(_ items: [RatingItem], count: Int, seed: UInt64) -> [RatingItem] {
        guard count < items.count else { return items }
        var order = Array(items.indices)
        var stream = RandomStream(seed: seed).substream("export-items")
        stream.shuffle(&order)
        return order.prefix(count).sorted().map { items[$0] }
    }

    /// The items as CSV (RFC 4180: fields with a comma, quote or line break are quoted, quotes
    /// doubled; lines end with `\n`), with an empty `rating` column.
    public static func csv(_ items: [RatingItem]) -> String {
        var lines = [CSV.line(header)]
        for item in items {
            lines.append(
                CSV.line([
                    item.item, item.unit, item.speaker, item.persona, item.priorLines, item.line, instruction, "",
                ]))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads items back from their CSV (the round trip of ``csv(_:)``).
    public static func parse(_ text: String, file: String? = nil) throws(RunError) -> [RatingItem] {
        let table = try CSV.parse(text, file: file)
        let columns = try table.columns(["item", "unit", "speaker", "persona", "prior_lines", "line"])
        return table.rows.map { row in
            RatingItem(
                item: row.cells[columns[0]], unit: row.cells[columns[1]], speaker: row.cells[columns[2]],
                persona: row.cells[columns[3]], priorLines: row.cells[columns[4]], line: row.cells[columns[5]])
        }
    }
}

/// A small RFC 4180 CSV writer and reader that keeps each record's line number for errors.
enum CSV {
    /// One record of a table: its cells and the line it starts on (1-based).
    struct Row: Sendable {
        var cells: [String]
        var line: Int
    }

    /// A parsed table: the header and the records after it.
    struct Table: Sendable {
        var header: [String]
        var rows: [Row]
        var file: String?

        /// The positions of `names` in the header.
        /// - Throws: ``RunError`` naming line 1 and the missing column.
        func columns(_ names: [String]) throws(RunError) -> [Int] {
            var positions: [Int] = []
            for name in names {
                guard let position = header.firstIndex(of: name) else {
                    throw RunError(
                        .invalidInput,
                        "the header has no \"\(name)\" column (it has \(header.joined(separator: ", "))); the first line must name the columns \(names.joined(separator: ", "))",
                        file: file, path: "line 1")
                }
                positions.append(position)
            }
            return positions
        }
    }

    /// One CSV line.
    static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",")
    }

    /// A field, quoted when it holds a comma, a quote or a line break.
    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else {
            return text
        }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Parses CSV text: a header, then records with as many cells (blank lines skipped; `\r\n` or
    /// `\n`; quoted fields may hold line breaks).
    /// - Throws: ``RunError`` naming the line (and column) of a ragged record or an open quote.
    static func parse(_ text: String, file: String?) throws(RunError) -> Table {
        var records: [Row] = []
        var cells: [String] = []
        var field = ""
        var quoted = false
        var afterQuote = false
        var line = 1
        var recordLine = 1
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        var i = 0
        func endRecord() {
            cells.append(field)
            if !(cells.count == 1 && cells[0].isEmpty) { records.append(Row(cells: cells, line: recordLine)) }
            cells = []
            field = ""
        }
        while i < scalars.count {
            let c = scalars[i]
            if quoted {
                if c == "\"" {
                    if i + 1 < scalars.count && scalars[i + 1] == "\"" {
                        field.unicodeScalars.append("\"")
                        i += 1
                    } else {
                        quoted = false
                        afterQuote = true
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" && field.isEmpty && !afterQuote {
                quoted = true
            } else if c == "," {
                cells.append(field)
                field = ""
                afterQuote = false
            } else if c == "\n" || c == "\r" {
                if c == "\r" && i + 1 < scalars.count && scalars[i + 1] == "\n" { i += 1 }
                endRecord()
                afterQuote = false
                line += 1
                recordLine = line
            } else {
                if afterQuote {
                    throw RunError(
                        .invalidInput,
                        "text after a closing quote in column \(cells.count + 1); quote the whole field and double the quotes inside it",
                        file: file, path: "line \(line), column \(cells.count + 1)")
                }
                field.unicodeScalars.append(c)
            }
            i += 1
        }
        if quoted {
            throw RunError(
                .invalidInput, "a quoted field is never closed; add the closing \"", file: file,
                path: "line \(recordLine), column \(cells.count + 1)")
        }
        if !field.isEmpty || !cells.isEmpty { endRecord() }
        guard let head = records.first else {
            throw RunError(.invalidInput, "the CSV file is empty; it needs a header row", file: file, path: "line 1")
        }
        let header = head.cells.map { $0.trimmingCharacters(in: .whitespaces) }
        var rows: [Row] = []
        for record in records.dropFirst() {
            guard record.cells.count == header.count else {
                throw RunError(
                    .invalidInput,
                    "this row has \(record.cells.count) cells but the header has \(header.count); give every row the header's columns (quote fields that contain commas)",
                    file: file, path: "line \(record.line), column \(min(record.cells.count, header.count) + 1)")
            }
            rows.append(record)
        }
        return Table(header: header, rows: rows, file: file)
    }
}
