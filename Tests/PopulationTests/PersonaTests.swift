import Foundation
import Storage
import Testing

@testable import Population

/// The one person type: both JSON forms, old run-store copies, the one file reader and the one renderer.
@Suite("Persona")
struct PersonaTests {
    /// A persona exactly as run stores wrote it before `Persona` became the one person type
    /// (`ScenarioPersona.json`: id, name, attributes, narrative).
    static let storedBeforeUnification =
        #"{"id":"p000001","name":"Maria Lopez","attributes":{"name":"Maria Lopez","age":34,"sex":"female","region":"West"},"narrative":"Maria is a night-shift nurse in Phoenix."}"#

    @Test("a population JSONL line decodes with its provenance and writes back byte-identical")
    func populationLine() throws {
        let line =
            #"{"id":"p000042","slot":42,"attempt":1,"cell":"demo.sex=female","attributes":{"demo.age":34,"demo.sex":"female"},"hash":"00ff","warnings":["soft_rule"],"rejects":["duplicateHash"],"narrative":"She is 34."}"#
        let persona = try Persona(jsonLine: line)
        #expect(persona.id == "p000042" && persona.slot == 42 && persona.attempt == 1)
        #expect(persona.cell == "demo.sex=female" && persona.hash == "00ff")
        #expect(persona.warnings == ["soft_rule"] && persona.rejects == ["duplicateHash"])
        #expect(persona.name == nil && persona.displayName == "p000042")
        #expect(persona.jsonLine == line)
        // A line without id takes the id of its slot, or of its position when it has no slot either.
        #expect(try Persona(jsonLine: #"{"slot":7,"attributes":{}}"#).id == "p000007")
        #expect(try Persona(jsonLine: #"{"attributes":{"a":1}}"#, lineNumber: 3).id == "p000002")
    }

    @Test("a scenario's inline form decodes: id, name, attributes in order, narrative; attributes may be absent")
    func inlineForm() throws {
        let json = try JSONValue.parse(
            #"{"id": "mod", "name": "Dana", "attributes": {"role": "moderator", "age": 50}, "narrative": "Dana runs groups."}"#
        )
        let persona = try Persona(json: json, file: "s.json", path: "$.population.inline[0]")
        #expect(persona.id == "mod" && persona.name == "Dana" && persona.displayName == "Dana")
        #expect(persona.attributes.keys == ["role", "age"])
        #expect(persona.narrative == "Dana runs groups.")
        #expect(persona.hash == CanonicalHash.hash(persona.attributes))
        let bare = try Persona(json: ["id": "x"])
        #expect(bare.attributes.isEmpty && bare.displayName == "x" && bare.narrative == nil)
    }

    @Test("a persona stored by a run before the unification loads and writes back byte-identical")
    func storedBeforeUnification() throws {
        let json = try JSONValue.parse(Self.storedBeforeUnification)
        let persona = try Persona(json: json, file: "run-1", path: "personas[0]")
        #expect(persona.id == "p000001" && persona.displayName == "Maria Lopez")
        #expect(persona.attributes["age"] == 34)
        #expect(persona.narrative == "Maria is a night-shift nurse in Phoenix.")
        #expect(persona.participantJSON.serialized() == Self.storedBeforeUnification)
        // A factory persona's short form names it by its `name` attribute, else its id, as before.
        let factory = Persona(id: "p000002", slot: 1, attributes: ["age": 40])
        #expect(factory.participantJSON.serialized() == #"{"id":"p000002","name":"p000002","attributes":{"age":40}}"#)
    }

    @Test(
        "malformed personas are errors that name the file, the JSON path and the fix",
        arguments: [
            (#"[1, 2]"#, "$", "expected a persona object"),
            (#"{"name": "Ana", "attributes": {}}"#, "$", "has no \"id\""),
            (#"{"id": "a b", "attributes": {}}"#, "$.id", "is not a persona id"),
            (#"{"id": 7, "attributes": {}}"#, "$.id", "expected a string, found the number 7"),
            (#"{"id": "a", "attributes": [1]}"#, "$.attributes", "expected an object of attribute values"),
            (#"{"id": "a", "name": ""}"#, "$.name", "empty"),
            (#"{"id": "a", "narrative": 3}"#, "$.narrative", "expected a string"),
            (#"{"id": "a", "slot": -1}"#, "$.slot", "expected a whole number from 0"),
            (#"{"id": "a", "warnings": "x"}"#, "$.warnings", "expected an array of strings"),
        ])
    func malformed(json: String, path: String, message: String) throws {
        let value = try JSONValue.parse(json)
        do {
            _ = try Persona(json: value, file: "people.json")
            Issue.record("\(json) decoded")
        } catch {
            #expect(error.code == .invalidPersona)
            #expect(error.file == "people.json" && error.path == path, "\(error)")
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test("the persona file reader names the line of bad JSON and of a duplicate id")
    func fileErrors() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("agora-persona-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("people.jsonl").path
        try "{\"id\":\"a\"}\n\n{\"id\":\"b\"}\n{\"id\":\"a\"}\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: PopulationError.self) { try Persona.readJSONL(file: file) }
        do {
            _ = try Persona.readJSONL(file: file)
        } catch {
            #expect(error.path == "line 4" && error.message.contains("duplicate persona id \"a\" (first on line 1)"))
        }
        try "{\"id\":\"a\"}\n{\"id\":\n".write(toFile: file, atomically: true, encoding: .utf8)
        do {
            _ = try Persona.readJSONL(file: file)
            Issue.record("bad JSON read")
        } catch {
            #expect(error.path == "line 2" && error.message.hasPrefix("not valid JSON"))
        }
        try "{\"id\":\"a\",\"name\":\"Ana\"}\n{\"id\":\"b\"}\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try Persona.readJSONL(file: file).map(\.displayName) == ["Ana", "b"])
    }

    @Test("displayName is the name, else the name attribute, else the id")
    func displayName() {
        #expect(Persona(id: "p1", name: "Dana", attributes: ["name": "Other"]).displayName == "Dana")
        #expect(Persona(id: "p1", attributes: ["name": "Maria Lopez"]).displayName == "Maria Lopez")
        #expect(Persona(id: "p1", attributes: ["name": 3]).displayName == "p1")
    }

    @Test("the one renderer: narrative, a blank line, then About you with every attribute but the name")
    func promptText() {
        let persona = Persona(
            id: "p1", name: "Ana",
            attributes: JSONObject([
                ("name", "Ana"), ("age", 34), ("height_m", 1.5), ("smoker", false), ("languages", ["en", "", "es"]),
                ("pet", .null), ("address", ["city": "Leeds"]),
            ]), narrative: "Ana teaches maths.")
        #expect(
            persona.promptText == """
                Ana teaches maths.

                About you:
                - age: 34
                - height_m: 1.5
                - smoker: no
                - languages: en, es
                - address: {"city":"Leeds"}
                """)
        #expect(Persona(id: "p1", narrative: "Only a story.").promptText == "Only a story.")
        #expect(Persona(id: "p1", attributes: ["region": "north"]).promptText == "About you:\n- region: north")
        #expect(Persona(id: "p1", name: "Ana", attributes: ["name": "Ana"], narrative: "").promptText.isEmpty)
    }
}

@Suite("CanonicalHash.normalise: the ASCII fast path")
struct CanonicalNormaliseTests {
    /// The general (Unicode) path, as `normalise` was before the ASCII fast path.
    static func general(_ text: String) -> String {
        var result = ""
        var pendingSpace = false
        for character in text.precomposedStringWithCanonicalMapping {
            if character.isWhitespace {
                pendingSpace = !result.isEmpty
            } else {
                if pendingSpace { result.append(" ") }
                pendingSpace = false
                result.append(character)
            }
        }
        return result
    }

    @Test("ASCII text normalises exactly as the general path does, over 2,000 seeded strings of every ASCII byte")
    func asciiMatchesGeneral() {
        var random = RandomStream(seed: 42)
        for _ in 0..<2_000 {
            let length = Int(random.nextInt(below: 40))
            let bytes = (0..<length).map { _ -> UInt8 in
                // Whitespace and control bytes often, so runs, CR LF pairs and edges are covered.
                random.nextInt(below: 3) == 0
                    ? [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x1C, 0x1F][Int(random.nextInt(below: 8))]
                    : UInt8(random.nextInt(below: 128))
            }
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(CanonicalHash.normalise(text) == Self.general(text), "\(bytes)")
        }
        #expect(CanonicalHash.normalise("  a \r\n\t b  ") == "a b")
        #expect(CanonicalHash.normalise("Cafe\u{301}  au lait") == "Café au lait")
    }
}
