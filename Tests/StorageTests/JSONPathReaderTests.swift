import Storage
import Testing

@Suite("JSONPathReader")
struct JSONPathReaderTests {
    static let document: JSONValue = [
        "id": "study", "count": 3, "ratio": 0.5, "flag": true, "none": nil, "tags": ["a", "b"],
        "items": [["id": "q1"], ["id": "q2"]], "mixed": [1, "two"],
    ]

    static func reader() -> JSONPathReader<JSONPathError> {
        JSONPathReader(document, file: "study.json")
    }

    /// The error a read throws, or nil when it succeeds.
    static func error(_ read: (JSONPathReader<JSONPathError>) throws -> Void) -> JSONPathError? {
        do {
            try read(reader())
            return nil
        } catch {
            return error as? JSONPathError
        }
    }

    @Test("typed reads of members give their values")
    func typedReads() throws {
        let root = Self.reader()
        #expect(try root.string("id") == "study")
        #expect(try root.int("count", range: 0...10) == 3)
        #expect(try root.double("count") == 3)
        #expect(try root.double("ratio") == 0.5)
        #expect(try root.optionalBool("flag") == true)
        #expect(try root.strings("tags") == ["a", "b"])
        #expect(try root.readers("items").map { try $0.string("id") } == ["q1", "q2"])
        #expect(try root.optionalString("absent") == nil)
        #expect(try root.optionalInt("none") == nil)
        #expect(!root.has("none"))
        #expect(root.keys.first == "id")
    }

    @Test("children carry their JSON paths")
    func paths() throws {
        let root = Self.reader()
        #expect(try root.readers("items")[1].path == "$.items[1]")
        #expect(try root.required("tags").elements()[0].path == "$.tags[0]")
        #expect(try root.members().first?.reader.path == "$.id")
        #expect(root["count"]?.path == "$.count")
        #expect(root.childPath("x") == "$.x")
    }

    @Test(
        "errors name the path and say what to do",
        arguments: [
            ("missing", "$.title", "missing; add a string \"title\""),
            ("wrongType", "$.count", "expected a string, found the number 3"),
            ("outOfRange", "$.count", "3 is out of range; use a value from 5 to 9"),
            ("notWhole", "$.ratio", "expected a whole number, found the number 0.5"),
            ("notBool", "$.id", "expected true or false, found the string \"study\""),
            ("notObject", "$.tags", "expected a JSON object, found an array"),
            ("notObjects", "$.mixed[0]", "expected a JSON object, found the number 1"),
            ("notStrings", "$.mixed[0]", "expected a string, found the number 1"),
            ("missingArray", "$.list", "missing; add an array \"list\""),
        ])
    func errors(name: String, path: String, message: String) throws {
        let reads: [String: (JSONPathReader<JSONPathError>) throws -> Void] = [
            "missing": { _ = try $0.string("title") },
            "wrongType": { _ = try $0.string("count") },
            "outOfRange": { _ = try $0.int("count", range: 5...9) },
            "notWhole": { _ = try $0.int("ratio") },
            "notBool": { _ = try $0.optionalBool("id") },
            "notObject": { _ = try $0.reader("tags") },
            "notObjects": { _ = try $0.readers("mixed") },
            "notStrings": { _ = try $0.strings("mixed") },
            "missingArray": { _ = try $0.elements("list") },
        ]
        let read = try #require(reads[name])
        let error = try #require(Self.error(read))
        #expect(error == JSONPathError(file: "study.json", path: path, message: message))
        #expect(error.description == "study.json: \(path): \(message)")
    }

    @Test("unknown keys are rejected with a suggestion, unless ignored")
    func unknownKeys() throws {
        let misspelt = Self.error {
            try $0.allowOnly(["id", "count", "ratio", "flag", "none", "tags", "itmes", "mixed"])
        }
        #expect(misspelt?.path == "$.items")
        #expect(
            misspelt?.message
                == "unknown key \"items\"; did you mean \"itmes\"? allowed keys here: id, count, ratio, flag, none, tags, itmes, mixed"
        )
        let far = Self.error { try $0.allowOnly(["id"]) }
        #expect(far?.message == "unknown key \"count\"; allowed keys here: id")
        #expect(Self.error { reader in try reader.allowOnly(["id"]) { key in key != "id" } } == nil)
    }

    @Test("errors pass through the caller's mapping, also after re-mapping")
    func mapping() throws {
        struct Wrapped: Error, Equatable {
            var text: String
        }
        let reader = JSONPathReader(Self.document, file: nil) { Wrapped(text: "A " + $0.description) }
        #expect(throws: Wrapped(text: "A $.id: must not be empty")) {
            _ = try reader.reading(["id": " \n"], at: "$").nonEmptyString("id")
        }
        let remapped = reader.mappingErrors { Wrapped(text: "B " + $0.message) }
        #expect(throws: Wrapped(text: "B missing; add a number \"x\"")) { _ = try remapped.double("x") }
        #expect(reader.fail("x", "bad") == Wrapped(text: "A $.x: bad"))
    }
}

@Suite("Spelling")
struct SpellingTests {
    @Test(
        "the nearest word within two edits, case-insensitive",
        arguments: [
            ("surevy", "survey"), ("ITMES", "items"), ("interveiw", "interview"), ("zzz", nil), ("", nil),
        ] as [(String, String?)])
    func closest(word: String, expected: String?) {
        #expect(Spelling.closest(to: word, in: ["survey", "items", "interview", "session"]) == expected)
    }

    @Test("edit distance counts insertions, deletions and substitutions")
    func distance() {
        #expect(Spelling.editDistance(Array("kitten"), Array("sitting")) == 3)
        #expect(Spelling.editDistance([], Array("abc")) == 3)
        #expect(Spelling.editDistance(Array("same"), Array("same")) == 0)
    }
}
