public import Foundation
import HTMLKit
public import Storage

/// The population section's figures, accumulated one persona at a time (``HTMLReport/populationSection(_:)``
/// feeds every persona; streamed outputs feed them page by page): counts of the values of the
/// first 8 attributes, dropping an attribute's counts as soon as it is known to be free text.
public struct PopulationSummary: Sendable {
    /// Attributes whose value bars are drawn.
    static let shownAttributes = 8
    /// How many personas the run has (the free-text test compares with it).
    public let count: Int
    private var keys: [String] = []
    private var counts: [String: [String: Int]] = [:]
    private var freeText: Set<String> = []
    private var added = 0

    /// Creates an empty summary of a population of `count` personas.
    public init(count: Int) { self.count = count }

    /// Adds one persona (its stored JSON).
    public mutating func add(_ persona: JSONValue) {
        let attributes = persona["attributes"]?.objectValue ?? JSONObject()
        for key in attributes.keys where !keys.contains(key) && key != "name" {
            // The personas before the first to have it miss it.
            if keys.count < Self.shownAttributes && added > 0 { counts[key] = ["(missing)": added] }
            keys.append(key)
        }
        added += 1
        for key in keys.prefix(Self.shownAttributes) where !freeText.contains(key) {
            let value = attributes[key] ?? .null
            let label = value == .null ? "(missing)" : (value.stringValue ?? CanonicalJSON.string(value))
            counts[key, default: [:]][label, default: 0] += 1
            // More than 12 values and more than half the population: free text, never drawn.
            if let n = counts[key]?.count, n > 12 && n > count / 2 {
                freeText.insert(key)
                counts[key] = nil
            }
        }
    }

    /// The section: how many personas, and bars of the values of the first 8 categorical attributes.
    public func html() -> String {
        var h = ["<h2>Population</h2>", "<p>\(count) personas.</p>"]
        let shown = Array(keys.prefix(Self.shownAttributes))
        for key in shown where !freeText.contains(key) {
            let values = counts[key] ?? [:]
            let sorted = values.keys.sorted { (values[$0] ?? 0, $1) > (values[$1] ?? 0, $0) }
            h.append("<details><summary>\(HTML.escape(key)) (\(sorted.count) values)</summary>")
            h.append(HTMLReport.bars(sorted.prefix(15).map { ($0, values[$0] ?? 0, nil) }, total: count))
            h.append("</details>")
        }
        if keys.count > shown.count {
            h.append("<p class=\"muted\">\(keys.count - shown.count) more attributes in the persona data.</p>")
        }
        return h.joined(separator: "\n")
    }
}

/// An output file written piece by piece into a temporary file beside it, then moved into place
/// (atomically, like `Data.write(to:options: .atomic)`), with a buffer of about 1 MiB.
public final class OutputFileWriter {
    /// The file written.
    public let url: URL
    private let temporary: URL
    private let handle: FileHandle
    private var buffer: [UInt8] = []

    /// Starts writing `name` in `directory`.
    public init(_ name: String, in directory: URL) throws(RunError) {
        url = directory.appendingPathComponent(name)
        temporary = directory.appendingPathComponent(".\(name).partial")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil),
            let handle = FileHandle(forWritingAtPath: temporary.path)
        else {
            throw RunError(.io, "cannot write \(name)", file: url.path)
        }
        self.handle = handle
        buffer.reserveCapacity(1 << 20)
    }

    /// Appends bytes (flushed to the file past 1 MiB).
    public func write(_ bytes: [UInt8]) throws(RunError) {
        buffer += bytes
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Appends text.
    public func write(_ text: String) throws(RunError) { try write(Array(text.utf8)) }

    /// Writes what is buffered, closes the file and moves it into place.
    public func finish() throws(RunError) {
        try flush()
        do {
            try handle.close()
        } catch {
            throw RunError(.io, "cannot write \(url.lastPathComponent)", file: url.path, underlying: error)
        }
        // rename(2) replaces the old file in one step: a reader sees the old or the new file.
        guard rename(temporary.path, url.path) == 0 else {
            throw RunError(
                .io, "cannot move \(temporary.lastPathComponent) into place (errno \(errno))", file: url.path)
        }
    }

    private func flush() throws(RunError) {
        guard !buffer.isEmpty else { return }
        do {
            try handle.write(contentsOf: buffer)
        } catch {
            throw RunError(.io, "cannot write \(url.lastPathComponent)", file: url.path, underlying: error)
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
