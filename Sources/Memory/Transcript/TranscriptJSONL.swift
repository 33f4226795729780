import Foundation
public import Storage

/// The JSON Lines form of a transcript (docs/transcript.md): the first line is
/// `{"roster": [participant, …]}`, every later non-blank line one event.
public enum TranscriptJSONL {
    /// Parses a transcript; errors name `file`, the line number and the fix, and every event is
    /// checked as if appended (dense seq from 0, known participants, tool results after calls).
    public static func parse(_ text: String, file: String = "log.jsonl") throws(MemoryError) -> Transcript {
        var roster: [Participant]?
        var transcript: Transcript?
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = String(rawLine).trimmingWhitespace()
            if line.isEmpty { continue }
            let json: JSONValue
            do { json = try JSONValue.parse(line) } catch {
                throw MemoryError(
                    .parseFailure,
                    "\(file):\(lineNumber):\(error.column): \(error.message); each line must be one JSON object",
                    underlying: error)
            }
            let at = "\(file):\(lineNumber)"
            if roster == nil {
                guard let entries = json["roster"]?.arrayValue else {
                    throw MemoryError(
                        .parseFailure, "\(at): the first line must be {\"roster\": [participants…]}")
                }
                var parsed: [Participant] = []
                for (i, entry) in entries.enumerated() {
                    parsed.append(try participant(entry, at: "\(at): roster[\(i)]"))
                }
                do { transcript = try Transcript(roster: parsed) } catch {
                    throw MemoryError(error.code, "\(at): \(error.message)")
                }
                roster = parsed
                continue
            }
            let e = try event(json, at: at)
            do { try transcript?.append(e) } catch { throw MemoryError(error.code, "\(at): \(error.message)") }
        }
        guard let transcript else {
            throw MemoryError(
                .parseFailure, "\(file): empty file; the first line must be {\"roster\": [participants…]}")
        }
        return transcript
    }

    /// Reads and parses a transcript file.
    public static func load(_ path: String) throws(MemoryError) -> Transcript {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw MemoryError(.fileAccess, "\(path): cannot read the file; check the path", underlying: error)
        }
        return try parse(text, file: path)
    }

    /// The JSON Lines text of a transcript, one line per roster and event, ending with a newline.
    public static func serialize(_ transcript: Transcript) -> String {
        var lines = [JSONValue.object(JSONObject([("roster", .array(transcript.roster.map(json)))])).serialized()]
        for e in transcript.events { lines.append(json(e).serialized()) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes a transcript file.
    public static func write(_ transcript: Transcript, to path: String) throws(MemoryError) {
        do { try serialize(transcript).write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw MemoryError(.fileAccess, "\(path): cannot write the file; check the folder exists", underlying: error)
        }
    }

    // MARK: JSON mapping

    /// A participant as a JSON object.
    public static func json(_ p: Participant) -> JSONValue {
        .object(
            JSONObject([
                ("id", .string(p.id.raw)), ("displayName", .string(p.displayName)), ("role", .string(p.role.rawValue)),
                (
                    "membership",
                    .array(
                        p.membership.map { m in
                            .array([.integer(Int64(m.start)), m.end.map { .integer(Int64($0)) } ?? .null])
                        })
                ),
            ]))
    }

    /// An event as a JSON object (keys in the documented order; `tool` only when present).
    public static func json(_ e: Event) -> JSONValue {
        var o = JSONObject([
            ("seq", .integer(Int64(e.seq))), ("id", .string(e.id)),
            ("speaker", e.speaker.map { .string($0.raw) } ?? .null),
            ("kind", .string(e.kind.rawValue)),
        ])
        switch e.audience {
        case .everyone: o["audience"] = "everyone"
        case .only(let ids): o["audience"] = .array(ids.map { .string($0.raw) })
        }
        o["addressees"] = .array(e.addressees.map { .string($0.raw) })
        o["content"] = .string(e.content)
        if let t = e.tool {
            o["tool"] = .object(
                JSONObject([
                    ("callID", .string(t.callID)), ("name", .string(t.name)), ("caller", .string(t.caller.raw)),
                    ("arguments", .string(t.arguments)),
                ]))
        }
        return .object(o)
    }

    static func id(_ value: JSONValue?, _ field: String, at: String) throws(MemoryError) -> ParticipantID {
        guard let raw = value?.stringValue else {
            throw MemoryError(.parseFailure, "\(at): \"\(field)\" must be a participant id string")
        }
        do { return try ParticipantID(raw) } catch {
            throw MemoryError(error.code, "\(at): \"\(field)\": \(error.message)")
        }
    }

    static func participant(_ v: JSONValue, at: String) throws(MemoryError) -> Participant {
        guard v.objectValue != nil else { throw MemoryError(.parseFailure, "\(at): a participant must be an object") }
        let pid = try id(v["id"], "id", at: at)
        guard let name = v["displayName"]?.stringValue else {
            throw MemoryError(.parseFailure, "\(at): missing \"displayName\"")
        }
        var role = ParticipantRole.speaker
        if let raw = v["role"]?.stringValue {
            guard let r = ParticipantRole(rawValue: raw) else {
                throw MemoryError(
                    .parseFailure, "\(at): \"role\" must be speaker, moderator or observer, not \"\(raw)\"")
            }
            role = r
        }
        var membership = [Membership(start: 0)]
        if let m = v["membership"] {
            guard let intervals = m.arrayValue else {
                throw MemoryError(.parseFailure, "\(at): \"membership\" must be [[start, end-or-null], …]")
            }
            membership = []
            for interval in intervals {
                guard let pair = interval.arrayValue, pair.count == 2 || pair.count == 1, let start = pair[0].intValue
                else {
                    throw MemoryError(.parseFailure, "\(at): each membership interval must be [start, end-or-null]")
                }
                let end: Int?
                if pair.count == 2, let e = pair[1].intValue {
                    end = Int(e)
                } else if pair.count == 1 || pair[1].isNull {
                    end = nil
                } else {
                    throw MemoryError(.parseFailure, "\(at): a membership end must be an integer or null")
                }
                membership.append(Membership(start: Int(start), end: end))
            }
        }
        return Participant(id: pid, displayName: name, role: role, membership: membership)
    }

    static func event(_ v: JSONValue, at: String) throws(MemoryError) -> Event {
        guard v.objectValue != nil else { throw MemoryError(.parseFailure, "\(at): an event must be a JSON object") }
        guard let seq = v["seq"]?.intValue else { throw MemoryError(.parseFailure, "\(at): missing integer \"seq\"") }
        guard let kindText = v["kind"]?.stringValue, let kind = EventKind(rawValue: kindText) else {
            throw MemoryError(
                .parseFailure,
                "\(at): \"kind\" must be one of \(EventKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var speaker: ParticipantID?
        if let s = v["speaker"], !s.isNull { speaker = try id(s, "speaker", at: at) }
        var audience = Audience.everyone
        if let a = v["audience"] {
            if a.stringValue == "everyone" {
                audience = .everyone
            } else if let list = a.arrayValue {
                var ids: [ParticipantID] = []
                for item in list { ids.append(try id(item, "audience", at: at)) }
                audience = .only(ids)
            } else {
                throw MemoryError(.parseFailure, "\(at): \"audience\" must be \"everyone\" or an array of ids")
            }
        }
        var addressees: [ParticipantID] = []
        if let list = v["addressees"] {
            guard let items = list.arrayValue else {
                throw MemoryError(.parseFailure, "\(at): \"addressees\" must be an array of ids")
            }
            for item in items { addressees.append(try id(item, "addressees", at: at)) }
        }
        var tool: ToolPayload?
        if let t = v["tool"], !t.isNull {
            guard let callID = t["callID"]?.stringValue, let name = t["name"]?.stringValue else {
                throw MemoryError(.parseFailure, "\(at): \"tool\" needs \"callID\", \"name\" and \"caller\"")
            }
            let caller = try id(t["caller"], "tool.caller", at: at)
            var arguments = ""
            if let a = t["arguments"] { arguments = a.stringValue ?? a.serialized() }
            tool = ToolPayload(callID: callID, name: name, caller: caller, arguments: arguments)
        }
        let content = v["content"]?.stringValue ?? ""
        return Event(
            seq: Int(seq), id: v["id"]?.stringValue, speaker: speaker, kind: kind, audience: audience,
            addressees: addressees, content: content, tool: tool)
    }
}
