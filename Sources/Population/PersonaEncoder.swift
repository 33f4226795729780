import Storage

/// Turns flat attribute codes into output JSON, canonical-form bytes (for the hash) and MinHash tokens,
/// using per-attribute byte strings computed once.
struct PersonaEncoder: Sendable {
    let taxonomy: Taxonomy
    let table: AttributeTable
    /// `"id":` for output, per attribute.
    let outputKeys: [[UInt8]]
    /// Output JSON of every option, per attribute.
    let optionOutput: [[[UInt8]]]
    /// Canonical JSON of every (normalised) option id, per attribute.
    let optionCanonical: [[[UInt8]]]
    /// Structured attributes sorted by the UTF-8 bytes of their ids (the canonical key order).
    let canonicalOrder: [Int]
    let canonicalKeys: [[UInt8]]
    /// Per set attribute: option indices in the canonical (sorted normalised id) order.
    let setCanonicalOrder: [[Int]]
    /// First token id of each attribute; tokens are `base + category`.
    let tokenBase: [Int]
    let tokenCount: Int
    let tokenTexts: [String]

    init(taxonomy: Taxonomy) {
        self.taxonomy = taxonomy
        table = AttributeTable(taxonomy)
        func bytes(_ value: JSONValue) -> [UInt8] { Array(CanonicalJSON.string(value).utf8) }
        outputKeys = taxonomy.attributes.map { bytes(.string($0.id)) + [UInt8(ascii: ":")] }
        optionOutput = taxonomy.attributes.map { attribute in
            attribute.kind == .bool
                ? [Array("false".utf8), Array("true".utf8)] : attribute.options.map { bytes(.string($0.id)) }
        }
        optionCanonical = taxonomy.attributes.map { attribute in
            attribute.kind == .bool
                ? [Array("false".utf8), Array("true".utf8)]
                : attribute.options.map { bytes(.string(CanonicalHash.normalise($0.id))) }
        }
        let structured = taxonomy.attributes.indices.filter { taxonomy.attributes[$0].kind != .text }
        canonicalOrder = structured.sorted {
            taxonomy.attributes[$0].id.utf8.lexicographicallyPrecedes(taxonomy.attributes[$1].id.utf8)
        }
        canonicalKeys = outputKeys
        setCanonicalOrder = taxonomy.attributes.map { attribute in
            guard attribute.kind == .set else { return [] }
            return attribute.options.indices.sorted {
                CanonicalHash.normalise(attribute.options[$0].id).utf8.lexicographicallyPrecedes(
                    CanonicalHash.normalise(attribute.options[$1].id).utf8)
            }
        }
        var base: [Int] = []
        var texts: [String] = []
        for attribute in taxonomy.attributes {
            base.append(texts.count)
            for category in attribute.categoryIDs { texts.append("\(attribute.id)=\(category)") }
        }
        tokenBase = base
        tokenCount = texts.count
        tokenTexts = texts
    }

    /// The per-token hash rows of a MinHasher: `tokenCount × k` values.
    func tokenTable(_ hasher: MinHasher) -> [UInt64] {
        var table: [UInt64] = []
        table.reserveCapacity(tokenCount * hasher.count)
        for text in tokenTexts { table += hasher.hashes(of: MinHasher.tokenHash(text)) }
        return table
    }

    private func numberBytes(_ attribute: Int, _ code: Int64, into out: inout [UInt8]) {
        if table.kinds[attribute] == .int {
            out.append(contentsOf: String(code).utf8)
        } else {
            out.append(contentsOf: CanonicalJSON.numberText(Double(bitPattern: UInt64(bitPattern: code))).utf8)
        }
    }

    /// Appends the canonical form (`{"a":…,"b":…}`, keys sorted, disabled attributes absent).
    func canonical(_ values: Assignment, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        var first = true
        for attribute in canonicalOrder where values.states[attribute] == Assignment.assigned {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(contentsOf: canonicalKeys[attribute])
            let code = values.codes[attribute]
            switch table.kinds[attribute] {
            case .enumeration, .ordinal, .bool:
                out.append(contentsOf: optionCanonical[attribute][Int(code)])
            case .int, .double:
                numberBytes(attribute, code, into: &out)
            case .set:
                out.append(UInt8(ascii: "["))
                var firstMember = true
                for option in setCanonicalOrder[attribute] where code & (1 << Int64(option)) != 0 {
                    if !firstMember { out.append(UInt8(ascii: ",")) }
                    firstMember = false
                    out.append(contentsOf: optionCanonical[attribute][option])
                }
                out.append(UInt8(ascii: "]"))
            case .text:
                break
            }
        }
        out.append(UInt8(ascii: "}"))
    }

    /// The 128-bit canonical hash as two words (big-endian halves of the first 16 digest bytes).
    func hash(_ values: Assignment, scratch: inout [UInt8]) -> (UInt64, UInt64) {
        scratch.removeAll(keepingCapacity: true)
        canonical(values, into: &scratch)
        let digest = SHA256.digest(scratch)
        var high: UInt64 = 0
        var low: UInt64 = 0
        for i in 0..<8 { high = high << 8 | UInt64(digest[i]) }
        for i in 8..<16 { low = low << 8 | UInt64(digest[i]) }
        return (high, low)
    }

    static func hex(_ hash: (UInt64, UInt64)) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 32)
        for i in 0..<16 {
            let word = i < 8 ? hash.0 : hash.1
            let byte = UInt8(truncatingIfNeeded: word >> UInt64((7 - i % 8) * 8))
            out[2 * i] = digits[Int(byte >> 4)]
            out[2 * i + 1] = digits[Int(byte & 15)]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the sorted MinHash token ids of the structured attributes.
    func tokens(_ values: Assignment, into out: inout [UInt32]) {
        for attribute in 0..<table.count where values.states[attribute] == Assignment.assigned {
            let code = values.codes[attribute]
            let base = tokenBase[attribute]
            switch table.kinds[attribute] {
            case .enumeration, .ordinal, .bool: out.append(UInt32(base + Int(code)))
            case .int, .double: out.append(UInt32(base + table.category(attribute, code: code)))
            case .set:
                for option in 0..<table.optionCounts[attribute] where code & (1 << Int64(option)) != 0 {
                    out.append(UInt32(base + option))
                }
            case .text: break
            }
        }
    }

    /// Appends the `"attributes"` object in taxonomy order.
    func attributesJSON(_ values: Assignment, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        var first = true
        for attribute in 0..<table.count where values.states[attribute] == Assignment.assigned {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(contentsOf: outputKeys[attribute])
            let code = values.codes[attribute]
            switch table.kinds[attribute] {
            case .enumeration, .ordinal, .bool: out.append(contentsOf: optionOutput[attribute][Int(code)])
            case .int, .double: numberBytes(attribute, code, into: &out)
            case .set:
                out.append(UInt8(ascii: "["))
                var firstMember = true
                for option in 0..<table.optionCounts[attribute] where code & (1 << Int64(option)) != 0 {
                    if !firstMember { out.append(UInt8(ascii: ",")) }
                    firstMember = false
                    out.append(contentsOf: optionOutput[attribute][option])
                }
                out.append(UInt8(ascii: "]"))
            case .text: break
            }
        }
        out.append(UInt8(ascii: "}"))
    }

    /// The attributes as an ordered JSON object (for ``Persona``).
    func attributesObject(_ values: Assignment) -> JSONObject {
        var bytes: [UInt8] = []
        attributesJSON(values, into: &bytes)
        if case .object(let object) = try? JSONValue.parse(String(decoding: bytes, as: UTF8.self)) { return object }
        return JSONObject()
    }
}
