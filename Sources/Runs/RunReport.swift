import Foundation
import Inference
public import Storage

/// The outputs every kind shares, each a pure function of the run store's contents:
/// `transcripts.jsonl`, the usage block of `results.json`, CSV fields.
public enum RunReport {
    /// `transcripts.jsonl`: one conversation per line (scenario, unit, participants with their role
    /// and persona id, events with speaker names, and the unit's result).
    ///
    /// - Parameter role: the role of a speaker id (`respondent`, `moderator`, `agent`…).
    public static func transcripts(_ data: RunData, role: (String) -> String) -> String {
        let personaIDs = Set(data.personas.map(\.id))
        // One byte buffer for the whole file: concatenating a String per line copied it twice.
        var out: [UInt8] = []
        for unit in data.doneUnits {
            transcriptLine(
                unit, events: data.events[unit.spec.index] ?? [], manifest: data.manifest,
                isPersona: { personaIDs.contains($0) }, role: role, into: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// One line of `transcripts.jsonl` (with its line break), appended to `out`.
    ///
    /// - Parameter isPersona: whether a speaker id is a persona of the run.
    public static func transcriptLine(
        _ unit: UnitRecord, events: [RunEvent], manifest: RunManifest, isPersona: (String) -> Bool,
        role: (String) -> String, into out: inout [UInt8]
    ) {
        var participants: [JSONValue] = []
        var seen: [String] = []
        for event in events {
            guard let speaker = event.speaker, !seen.contains(speaker) else { continue }
            seen.append(speaker)
            var p = JSONObject([("id", .string(speaker)), ("name", .string(event.speakerName ?? speaker))])
            p["role"] = .string(role(speaker))
            if isPersona(speaker) { p["persona"] = .string(speaker) }
            participants.append(.object(p))
        }
        let lines: [JSONValue] = events.map { e in
            var o = JSONObject([("seq", .integer(Int64(e.seq))), ("kind", .string(e.kind))])
            o["speaker"] = e.speaker.map { .string($0) } ?? .null
            o["name"] = .string(e.speakerName ?? "Narrator")
            o["content"] = .string(e.content)
            if case .object(let extra) = e.data {
                for (key, value) in extra where o[key] == nil { o[key] = value }
            }
            return .object(o)
        }
        let line = JSONValue.object(
            JSONObject([
                ("scenario", .string(manifest.document["id"]?.stringValue ?? manifest.runID)),
                ("kind", .string(manifest.kind)), ("unit", .string(unit.spec.id)),
                ("index", .integer(Int64(unit.spec.index))), ("participants", .array(participants)),
                ("events", .array(lines)), ("termination", unit.result["termination"] ?? .null),
                ("result", unit.result),
            ]))
        line.serialize(appendingTo: &out)
        out.append(0x0A)
    }

    /// Calls, tokens and cost per model (cost 0 for local and scripted models, else unknown).
    public static func usage(_ data: RunData) -> JSONValue { usage(data.usage, manifest: data.manifest) }

    /// Calls, tokens and cost per model, from the store's totals (``RunStore/usage()``).
    public static func usage(_ usage: [UsageTotals], manifest: RunManifest) -> JSONValue {
        let data = (usage: usage, manifest: manifest)
        let totalPrompt = data.usage.reduce(0) { $0 + $1.promptTokens }
        let totalCompletion = data.usage.reduce(0) { $0 + $1.completionTokens }
        let totalCached = data.usage.reduce(0) { $0 + $1.cachedPromptTokens }
        func profile(_ model: String) -> JSONValue? {
            data.manifest.models.first { $0["model"]?.stringValue == model }
        }
        // Priced when every model is local, scripted or in the list prices (cached prompt tokens
        // at the cached rate); unknown otherwise.
        var cost: JSONValue = .null
        if !data.usage.isEmpty {
            var total = 0.0
            var known = true
            let prices = PriceTable.listPrices
            for entry in data.usage {
                // The calls the Batch API answered are priced apart from the others.
                guard
                    let direct = prices.cost(
                        model: entry.model, prompt: entry.promptTokens - entry.batchPromptTokens,
                        cached: entry.cachedPromptTokens - entry.batchCachedPromptTokens,
                        completion: entry.completionTokens - entry.batchCompletionTokens),
                    let batched = prices.cost(
                        model: entry.model, prompt: entry.batchPromptTokens, cached: entry.batchCachedPromptTokens,
                        completion: entry.batchCompletionTokens, batch: true)
                else {
                    known = false
                    break
                }
                total += direct + batched
            }
            if known { cost = .number(total) }
        }
        let batchCalls = data.usage.reduce(0) { $0 + $1.batchCalls }
        var pairs: [(String, JSONValue)] = [
            ("calls", .integer(Int64(data.usage.reduce(0) { $0 + $1.calls }))),
            ("promptTokens", .integer(Int64(totalPrompt))), ("completionTokens", .integer(Int64(totalCompletion))),
            ("cachedPromptTokens", .integer(Int64(totalCached))),
        ]
        // Only runs that used `--batch` say so: other results keep their shape.
        if batchCalls > 0 { pairs.append(("batchCalls", .integer(Int64(batchCalls)))) }
        pairs.append(("cost", cost))
        pairs.append(
            (
                "models",
                .array(
                    data.usage.map {
                        [
                            "model": .string($0.model), "calls": .integer(Int64($0.calls)),
                            "promptTokens": .integer(Int64($0.promptTokens)),
                            "completionTokens": .integer(Int64($0.completionTokens)),
                            "cachedPromptTokens": .integer(Int64($0.cachedPromptTokens)),
                            "server": profile($0.model)?["server"] ?? .null,
                            "contextWindow": profile($0.model)?["contextWindow"] ?? .null,
                            "contextSource": profile($0.model)?["contextSource"] ?? .null,
                        ]
                    })
            ))
        return .object(JSONObject(pairs))
    }

    /// The unit counts block of `results.json`: total, done, failed, pending.
    public static func unitCounts(_ data: RunData) -> JSONValue {
        var counts = UnitStatusCounts()
        for unit in data.units {
            counts.total += 1
            if unit.status == .done { counts.done += 1 }
            if unit.status == .failed { counts.failed += 1 }
        }
        return unitCounts(counts)
    }

    /// The unit counts block of `results.json` from counts.
    public static func unitCounts(_ counts: UnitStatusCounts) -> JSONValue {
        [
            "total": .integer(Int64(counts.total)), "done": .integer(Int64(counts.done)),
            "failed": .integer(Int64(counts.failed)), "pending": .integer(Int64(counts.pending)),
        ]
    }

    /// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
    public static func csvField(_ text: String) -> String {
        // Most fields hold none of the four characters (checked on bytes, without Character breaking).
        guard text.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return text }
        if text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return text
    }

    /// A JSON value as plain text: strings as they are, numbers compact, lists joined by `; `,
    /// `null` empty (CSV cells, report tables).
    public static func text(of value: JSONValue) -> String {
        switch value {
        case .null: return ""
        case .string(let s): return s
        case .array(let items): return items.map(text(of:)).joined(separator: "; ")
        default: return CanonicalJSON.string(value)
        }
    }
}
