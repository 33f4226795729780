/// A participant's stable identifier, `[a-z0-9_-]+`; never shown to models.
public struct ParticipantID: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    /// The identifier text.
    public let raw: String

    /// Creates an identifier; throws when `raw` is empty or uses characters outside `[a-z0-9_-]`.
    public init(_ raw: String) throws(MemoryError) {
        guard ParticipantID.isValid(raw) else {
            throw MemoryError(
                .invalidEvent,
                "participant id \"\(raw)\" is invalid: use one or more of a-z, 0-9, '_' and '-'")
        }
        self.raw = raw
    }

    /// Creates an identifier from a literal the caller knows to be valid (tests, code).
    public init(unchecked raw: String) {
        precondition(ParticipantID.isValid(raw), "invalid participant id \(raw)")
        self.raw = raw
    }

    /// Whether `raw` is a valid identifier.
    public static func isValid(_ raw: String) -> Bool {
        !raw.isEmpty
            && raw.utf8.allSatisfy { b in
                (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x5F || b == 0x2D
            }
    }

    public static func < (lhs: ParticipantID, rhs: ParticipantID) -> Bool { lhs.raw < rhs.raw }
    public var description: String { raw }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        guard ParticipantID.isValid(raw) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "participant id \"\(raw)\" must match [a-z0-9_-]+")
        }
        self.raw = raw
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(raw)
    }
}

/// What a participant does in a conversation.
public enum ParticipantRole: String, Codable, Sendable, CaseIterable {
    /// Takes turns and speaks.
    case speaker
    /// Leads the conversation (a focus-group moderator, an interviewer).
    case moderator
    /// Never scheduled to speak; still gets a projection (a note-taker).
    case observer
}

/// One interval of presence, `[start, end)` in log sequence numbers; `end == nil` means still present.
public struct Membership: Hashable, Codable, Sendable {
    /// The first sequence number at which the participant is present.
    public let start: Int
    /// The first sequence number at which the participant is no longer present, or `nil`.
    public let end: Int?

    /// Creates an interval.
    public init(start: Int, end: Int? = nil) {
        self.start = start
        self.end = end
    }

    /// Whether `seq` lies in the interval.
    public func contains(_ seq: Int) -> Bool {
        seq >= start && (end.map { seq < $0 } ?? true)
    }

    /// Wire form: `[start, end-or-null]`.
    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        start = try container.decode(Int.self)
        end = try container.decodeIfPresent(Int.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(start)
        if let end { try container.encode(end) } else { try container.encodeNil() }
    }
}

/// Someone in the roster of a conversation.
public struct Participant: Hashable, Codable, Sendable {
    /// The stable identifier.
    public let id: ParticipantID
    /// The name other participants see, e.g. `Alex`.
    public let displayName: String
    /// The participant's role.
    public let role: ParticipantRole
    /// Presence intervals: sorted, non-overlapping; by default `[[0, nil]]`.
    public let membership: [Membership]

    /// Creates a participant.
    public init(
        id: ParticipantID, displayName: String, role: ParticipantRole = .speaker,
        membership: [Membership] = [Membership(start: 0)]
    ) {
        self.id = id
        self.displayName = displayName
        self.role = role
        self.membership = membership
    }

    /// Whether the participant is present at `seq`.
    public func isMember(at seq: Int) -> Bool {
        membership.contains { $0.contains(seq) }
    }

    /// The first sequence number at which the participant is present (`Int.max` if never).
    public var firstJoin: Int { membership.first?.start ?? Int.max }

    enum CodingKeys: String, CodingKey {
        case id, displayName, role, membership
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(ParticipantID.self, forKey: .id)
        displayName = try c.decode(String.self, forKey: .displayName)
        role = try c.decodeIfPresent(ParticipantRole.self, forKey: .role) ?? .speaker
        membership = try c.decodeIfPresent([Membership].self, forKey: .membership) ?? [Membership(start: 0)]
    }
}

extension Participant {
    /// Names that no display name may equal (case-insensitively) besides the narrator label.
    static let reservedNames = ["you"]

    /// Checks that a roster is usable for projection: unique ids, sorted non-overlapping
    /// membership, unique display names that are not `you` or the narrator label and contain no
    /// `:` or newline.
    public static func validateRoster(_ roster: [Participant], narratorLabel: String = "Narrator") throws(MemoryError) {
        var ids: Set<ParticipantID> = []
        var names: Set<String> = []
        for (index, p) in roster.enumerated() {
            guard ids.insert(p.id).inserted else {
                throw MemoryError(
                    .invalidRoster,
                    "roster entry \(index + 1): duplicate participant id \"\(p.id)\"; ids must be unique")
            }
            let name = p.displayName
            let lowered = name.lowercased()
            if name.trimmingWhitespace().isEmpty
                || name.utf8.contains(where: { $0 == 0x3A || $0 == 0x0A || $0 == 0x0D })
            {
                throw MemoryError(
                    .invalidRoster,
                    "roster entry \(index + 1) (\(p.id)): display name \"\(name)\" must be non-empty and contain no ':' or newline"
                )
            }
            if reservedNames.contains(lowered) || lowered == narratorLabel.lowercased() {
                throw MemoryError(
                    .invalidRoster,
                    "roster entry \(index + 1) (\(p.id)): display name \"\(name)\" is reserved; choose another name")
            }
            guard names.insert(lowered).inserted else {
                throw MemoryError(
                    .invalidRoster,
                    "roster entry \(index + 1) (\(p.id)): display name \"\(name)\" is used twice; disambiguate with Participant.disambiguated(_:)"
                )
            }
            if p.membership.isEmpty {
                throw MemoryError(
                    .invalidRoster,
                    "roster entry \(index + 1) (\(p.id)): membership is empty; give at least [[0, null]]")
            }
            var previousEnd: Int? = Int.min
            for m in p.membership {
                guard let prev = previousEnd, m.start >= prev, m.end.map({ $0 > m.start }) ?? true else {
                    throw MemoryError(
                        .invalidRoster,
                        "roster entry \(index + 1) (\(p.id)): membership intervals must be sorted, non-empty and non-overlapping"
                    )
                }
                previousEnd = m.end
            }
        }
    }

    /// Returns the roster with display names made unique and safe: characters `:`, `(`, `)` and
    /// newlines in given names are removed, and a repeated name gets a deterministic ` (2)`, ` (3)`
    /// suffix in roster order.
    public static func disambiguated(_ roster: [Participant]) -> [Participant] {
        var used: Set<String> = []
        var result: [Participant] = []
        for p in roster {
            let cleaned = String(
                p.displayName.unicodeScalars.filter { !":()\n\r".unicodeScalars.contains($0) }
            ).trimmingWhitespace()
            let base = cleaned.isEmpty || reservedNames.contains(cleaned.lowercased()) ? p.id.raw : cleaned
            var name = base
            var n = 2
            while used.contains(name.lowercased()) {
                name = "\(base) (\(n))"
                n += 1
            }
            used.insert(name.lowercased())
            result.append(Participant(id: p.id, displayName: name, role: p.role, membership: p.membership))
        }
        return result
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, scalars[start].properties.isWhitespace { start = scalars.index(after: start) }
        while end > start, scalars[scalars.index(before: end)].properties.isWhitespace {
            end = scalars.index(before: end)
        }
        return String(scalars[start..<end])
    }
}
