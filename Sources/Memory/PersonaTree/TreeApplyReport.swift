import Foundation
import Storage

/// The result of `agora memory tree apply`: each op's outcome, the unreadable lines, the new tree.
public struct TreeApplyReport: Hashable, Sendable {
    /// Each parsed op with its outcome, in order.
    public var results: [OpResult]
    /// Ops-file lines or items that were not operations.
    public var parseErrors: [OpParseError]
    /// The tree after applying the ops.
    public var tree: PersonaTree

    /// One op and what it did.
    public struct OpResult: Hashable, Sendable {
        /// The op.
        public let op: MemoryOp
        /// Its outcome.
        public let outcome: OpOutcome
    }

    /// Applies an ops text to a tree: a JSON ops file (`{"ops": [...]}` or a bare array) when the
    /// text starts with `{` or `[`, else the line grammar; `seq` stamps `updatedAt`.
    public static func apply(
        opsText: String, opsFile: String = "ops", to tree: PersonaTree, seq: Int = 0, limits: TreeLimits = TreeLimits()
    ) throws(MemoryError) -> TreeApplyReport {
        let trimmed = opsText.trimmingWhitespace()
        let parsed: ParsedOps
        if trimmed.hasPrefix("{") || trimmed.hasPrefix("[") {
            let json: JSONValue
            do { json = try JSONValue.parse(trimmed) } catch {
                throw MemoryError(
                    .parseFailure, "\(opsFile):\(error.line):\(error.column): \(error.message); fix the JSON syntax",
                    underlying: error)
            }
            parsed = OpParser.parseStructured(json.arrayValue != nil ? .object(JSONObject([("ops", json)])) : json)
        } else {
            parsed = OpParser.parseLines(opsText)
        }
        var updated = tree
        let outcomes = updated.apply(parsed.ops, seq: seq, limits: limits)
        return TreeApplyReport(
            results: zip(parsed.ops, outcomes).map { OpResult(op: $0, outcome: $1) }, parseErrors: parsed.errors,
            tree: updated)
    }

    /// Loads both files and applies the ops.
    public static func apply(treePath: String, opsPath: String, seq: Int = 0) throws(MemoryError) -> TreeApplyReport {
        let schema = try TreeSchema.load(treePath)
        let text: String
        do { text = try String(contentsOfFile: opsPath, encoding: .utf8) } catch {
            throw MemoryError(.fileAccess, "\(opsPath): cannot read the file; check the path", underlying: error)
        }
        return try apply(opsText: text, opsFile: opsPath, to: schema.tree, seq: seq)
    }

    /// Human-readable report: one line per op (`1. ADD(a.b, "x") -> created`), parse errors, then
    /// the rendered tree.
    public func text(format: TreeRenderFormat = .json) -> String {
        var lines: [String] = []
        for (i, r) in results.enumerated() { lines.append("\(i + 1). \(r.op) -> \(r.outcome)") }
        for e in parseErrors { lines.append("parse error, line \(e.line): \(e.reason): \(e.text)") }
        if lines.isEmpty { lines.append("(no operations)") }
        lines.append("")
        lines.append(tree.render(format).text)
        return lines.joined(separator: "\n")
    }
}
