import Foundation

/// Reads a persona JSONL file a batch of personas at a time, never holding the whole file: what a
/// run of a million respondents plans from (``Persona/readJSONL(file:)`` reads the whole file).
///
/// Lines are parsed exactly as ``Persona/readJSONL(file:)`` parses them (blank lines skipped, the
/// same errors at the same `line N`); finding ids used twice is the caller's part, since it keeps
/// the ids seen (a run store does), with ``firstLine(of:)`` to name the first use.
public final class PersonaJSONLReader {
    /// The file read.
    public let file: String
    private let handle: FileHandle
    private var pending: [UInt8] = []
    private var cursor = 0
    private var lineNumber = 0
    private var atEnd = false

    /// Opens `file`.
    ///
    /// - Throws: ``PopulationError`` (`invalidPersona`) when it cannot be read.
    public init(file: String) throws(PopulationError) {
        self.file = file
        guard let handle = FileHandle(forReadingAtPath: file) else { throw Self.unreadable(file) }
        self.handle = handle
    }

    deinit { try? handle.close() }

    /// The next personas (at most `count`) with their line numbers; empty at the end of the file.
    ///
    /// - Throws: ``PopulationError`` (`invalidPersona`) for a malformed line or bytes that are not UTF-8.
    public func next(_ count: Int) throws(PopulationError) -> [(persona: Persona, line: Int)] {
        var batch: [(persona: Persona, line: Int)] = []
        while batch.count < count, let line = try nextLine() {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || (0x09...0x0D).contains($0) }) { continue }
            guard let text = String(validating: line, as: UTF8.self) else { throw Self.unreadable(file) }
            batch.append((try Persona(jsonLine: text, file: file, lineNumber: lineNumber), lineNumber))
        }
        return batch
    }

    /// The line of the first persona with `id` in `file` (to name it when the id comes again).
    public static func firstLine(of id: String, in file: String) throws(PopulationError) -> Int? {
        let reader = try PersonaJSONLReader(file: file)
        while true {
            let batch = try reader.next(4096)
            if batch.isEmpty { return nil }
            if let hit = batch.first(where: { $0.persona.id == id }) { return hit.line }
        }
    }

    /// The error of an id used twice, as ``Persona/readJSONL(file:)`` words it.
    public static func duplicate(_ id: String, first: Int, line: Int, file: String) -> PopulationError {
        PopulationError(
            .invalidPersona, "duplicate persona id \"\(id)\" (first on line \(first)); ids must be unique",
            file: file, path: "line \(line)")
    }

    /// The next line's bytes (without its line break); `nil` past the end.
    private func nextLine() throws(PopulationError) -> ArraySlice<UInt8>? {
        var searched = cursor
        while true {
            if let end = pending[searched...].firstIndex(of: 0x0A) {
                let line = pending[cursor..<end]
                cursor = end + 1
                return line
            }
            if atEnd {
                // The last line has no line break (or the file ends with one: nothing is left).
                guard cursor < pending.count else { return nil }
                let line = pending[cursor...]
                cursor = pending.count
                return line
            }
            // Drop the lines already returned, then read the next chunk after the partial line.
            pending.removeSubrange(..<cursor)
            cursor = 0
            searched = pending.count
            let chunk: Data
            do {
                chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            } catch {
                throw Self.unreadable(file, underlying: error as any Error & Sendable)
            }
            if chunk.isEmpty { atEnd = true } else { pending += chunk }
        }
    }

    private static func unreadable(_ file: String, underlying: (any Error & Sendable)? = nil) -> PopulationError {
        PopulationError(
            .invalidPersona, "cannot read the file; check that it exists and is UTF-8 text", file: file,
            underlying: underlying)
    }
}
