import Foundation
import Storage
import Testing

@testable import Memory

func path(_ s: String) -> TreePath { try! TreePath(s) }

/// A small schema: identity (name locked, age), preferences (food), beliefsAbout (empty).
func smallTree() -> PersonaTree {
    PersonaTree(
        schemaID: "test",
        root: .branch(
            key: "",
            children: [
                .branch(
                    key: "identity",
                    children: [
                        .leaf(key: "name", value: "Ana", origin: .schema, locked: true, updatedAt: 0),
                        .leaf(key: "age", value: "", origin: .schema, locked: false, updatedAt: 0),
                    ], origin: .schema),
                .branch(
                    key: "preferences",
                    children: [.leaf(key: "food", value: "", origin: .schema, locked: false, updatedAt: 0)],
                    origin: .schema),
                .branch(key: "beliefsAbout", children: [], origin: .schema),
            ], origin: .schema))
}

@Suite struct OpParserTests {
    @Test(arguments: [
        ("ADD(a.b, \"x\")", MemoryOp.add(path("a.b"), "x")),
        ("- UPDATE(a.b, \"24 years old\")", .update(path("a.b"), "24 years old")),
        ("add(a.b, \"x\")", .add(path("a.b"), "x")),
        ("DELETE(a.b)", .delete(path("a.b"))),
        ("DELETE(a.b, None)", .delete(path("a.b"))),
        ("DELETE(a.b, \"old\")", .delete(path("a.b"))),
        ("UPDATE(a.b, \"said \\\"hi\\\"\")", .update(path("a.b"), "said \"hi\"")),
        ("NO_OP()", .noop),
        ("* `ADD(a.b, \"x\")`", .add(path("a.b"), "x")),
        ("1. ADD(a.b, \"x (y)\")", .add(path("a.b"), "x (y)")),
        ("ADD(a.b, \"bad \\q escape\")", .add(path("a.b"), "bad \\q escape")),
        ("ADD(a.b, \"she said \"no\" twice\")", .add(path("a.b"), "she said \"no\" twice")),
    ])
    func lineGrammarCaseMapsToOneOp(line: String, expected: MemoryOp) {
        let parsed = OpParser.parseLines(line)
        #expect(parsed.ops == [expected], "\(line)")
        #expect(parsed.errors.isEmpty, "\(line): \(parsed.errors)")
    }

    @Test func severalOpsOnOneLineSplit() {
        let parsed = OpParser.parseLines("ADD(a.b, \"x\") ADD(c.d, \"y\")")
        #expect(parsed.ops == [.add(path("a.b"), "x"), .add(path("c.d"), "y")])
        #expect(parsed.errors.isEmpty)
    }

    @Test(arguments: ["ADD(a.b, 'x')", "ADD(a..b, \"x\")", "Sure! Here are the ops:", "ADD(a.b)", "UPDATE(a.b, \"x\""])
    func malformedLinesAreRecordedErrors(line: String) {
        let parsed = OpParser.parseLines(line)
        #expect(parsed.ops.isEmpty, "\(line)")
        #expect(parsed.errors.count == 1)
        #expect(parsed.errors.first?.line == 1)
    }

    @Test func errorsArePerLineAndNeverFatal() {
        let text = "```\nADD(a.b, \"x\")\nnonsense here\n\nDELETE(c.d)\n```"
        let parsed = OpParser.parseLines(text)
        #expect(parsed.ops == [.add(path("a.b"), "x"), .delete(path("c.d"))])
        #expect(parsed.errors.map(\.line) == [3])
    }

    @Test func structuredFormParsesAndRecordsBadItems() throws {
        let json = try JSONValue.parse(
            #"{"ops":[{"op":"ADD","path":"a.b","value":"x"},{"op":"delete","path":"c.d","value":""},{"op":"JUMP","path":"a","value":""},{"op":"NO_OP","path":"","value":""}]}"#
        )
        let parsed = OpParser.parseStructured(json)
        #expect(parsed.ops == [.add(path("a.b"), "x"), .delete(path("c.d")), .noop])
        #expect(parsed.errors.map(\.line) == [3])
    }

    @Test func opsRoundTripThroughCodable() throws {
        let ops: [MemoryOp] = [.add(path("a.b"), "x"), .update(path("c"), "y"), .delete(path("d.e")), .noop]
        let data = try JSONEncoder().encode(ops)
        #expect(try JSONDecoder().decode([MemoryOp].self, from: data) == ops)
    }
}

@Suite struct PersonaTreeApplyTests {
    func outcome(_ op: MemoryOp, on tree: PersonaTree = smallTree()) -> OpOutcome {
        var t = tree
        return t.apply([op], seq: 7)[0]
    }

    @Test func referenceOutcomes() {
        #expect(outcome(.add(path("hobbies.chess"), "yes")) == .rejected(.trunkFixed))
        #expect(outcome(.add(path("identity.age.years"), "34")) == .rejected(.leafHasNoChildren))
        #expect(outcome(.delete(path("identity"))) == .rejected(.targetIsBranch))
        #expect(outcome(.update(path("preferences"), "x")) == .rejected(.targetIsBranch))
        #expect(outcome(.update(path("identity.name"), "Bea")) == .rejected(.locked))
        #expect(outcome(.delete(path("identity.name"))) == .rejected(.locked))
        #expect(outcome(.update(path("preferences.music"), "jazz")) == .created)
        #expect(outcome(.add(path("identity.age"), "34")) == .set)
        #expect(outcome(.add(path("identity.age"), "   ")) == .rejected(.emptyValue))
        #expect(outcome(.add(path("identity.age"), String(repeating: "x", count: 301))) == .rejected(.valueTooLong))
        #expect(outcome(.delete(path("preferences.nothing"))) == .rejected(.notFound))
        #expect(outcome(.add(path("beliefsAbout.bo.trust"), "high")) == .created)
        #expect(outcome(.add(path("identity.a.b.c.d.e.f"), "deep")) == .rejected(.tooDeep))
    }

    @Test func deleteClearsSchemaLeavesAndRemovesGrownOnes() {
        var t = smallTree()
        #expect(
            t.apply([.add(path("identity.age"), "34"), .add(path("beliefsAbout.bo.trust"), "high")], seq: 1) == [
                .set, .created,
            ])
        #expect(t.apply([.delete(path("identity.age"))], seq: 2) == [.cleared])
        #expect(t.node(at: path("identity.age"))?.value == "")
        #expect(t.apply([.delete(path("beliefsAbout.bo.trust"))], seq: 3) == [.removed])
        #expect(t.node(at: path("beliefsAbout.bo")) == nil, "the emptied grown branch is pruned")
        #expect(t.node(at: path("beliefsAbout")) != nil, "the schema branch stays")
    }

    @Test func addOnAFilledLeafAppendsOnceThenIsUnchanged() {
        var t = smallTree()
        t.apply([.add(path("preferences.food"), "pasta")], seq: 1)
        #expect(t.apply([.add(path("preferences.food"), "sushi")], seq: 2) == [.appended])
        #expect(t.node(at: path("preferences.food"))?.value == "pasta; sushi")
        #expect(t.apply([.add(path("preferences.food"), "sushi")], seq: 3) == [.unchanged])
        #expect(t.node(at: path("preferences.food"))?.updatedAt == 2)
    }

    @Test func laterOpsOnTheSamePathSupersedeEarlierOnes() {
        var t = smallTree()
        let outcomes = t.apply(
            [.add(path("identity.age"), "33"), .noop, .update(path("identity.age"), "34")], seq: 4)
        #expect(outcomes == [.dropped(.supersededInBatch), .noop, .set])
        #expect(
            t.node(at: path("identity.age"))
                == .leaf(key: "age", value: "34", origin: .schema, locked: false, updatedAt: 4))
    }

    @Test func aBranchGainsAtMostSixteenGrownChildren() {
        var t = smallTree()
        let ops = (0..<17).map { MemoryOp.add(path("preferences.item\($0)"), "v\($0)") }
        let outcomes = t.apply(ops, seq: 1)
        #expect(outcomes.filter { $0 == .created }.count == 16)
        #expect(outcomes.last == .rejected(.tooManyChildren))
    }
}

/// Properties P1–P6 over seeded random schemas and op batches.
@Suite struct PersonaTreePropertyTests {
    static func randomTree(_ rng: inout SeededRNG) -> PersonaTree {
        var counter = 0
        func node(depth: Int) -> TreeNode {
            counter += 1
            let key = "k\(counter)"
            if depth < 3 && rng.chance(0.45) {
                let n = rng.int(0...4)
                return .branch(key: key, children: (0..<n).map { _ in node(depth: depth + 1) }, origin: .schema)
            }
            let filled = rng.chance(0.4)
            return .leaf(
                key: key, value: filled ? "v\(counter)" : "", origin: .schema, locked: filled && rng.chance(0.3),
                updatedAt: 0)
        }
        let top = (0..<rng.int(1...4)).map { _ in
            TreeNode.branch(
                key: "c\(rng.int(0...999))", children: (0..<rng.int(0...4)).map { _ in node(depth: 2) }, origin: .schema
            )
        }
        var seen: Set<String> = []
        let unique = top.filter { seen.insert($0.key).inserted }
        return PersonaTree(schemaID: "random", root: .branch(key: "", children: unique, origin: .schema))
    }

    static func randomOps(_ rng: inout SeededRNG, tree: PersonaTree) -> [MemoryOp] {
        var paths = tree.leaves.map(\.path) + tree.trunk
        paths.append(path("newtop.x"))
        let words = ["a", "b", "c", "likes tea", "34", "Lisbon"]
        return (0..<rng.int(0...8)).map { _ in
            var p = rng.pick(paths)
            if rng.chance(0.3) { p = p.appending("g\(rng.int(0...3))") }
            switch rng.int(0...4) {
            case 0: return .add(p, rng.pick(words))
            case 1: return .update(p, rng.pick(words))
            case 2: return .delete(p)
            case 3: return .noop
            default: return .add(p, rng.chance(0.1) ? " " : rng.pick(words))
            }
        }
    }

    @Test func propertiesHoldOnRandomTreesAndBatches() {
        var rng = SeededRNG(seed: 2024)
        for round in 0..<600 {
            let start = Self.randomTree(&rng)
            var tree = start
            let lockedBefore = start.leaves.filter(\.locked)
            for step in 0..<4 {
                let ops = Self.randomOps(&rng, tree: tree)
                var replay = tree
                let outcomes = tree.apply(ops, seq: step + 1)
                // P3 determinism
                #expect(replay.apply(ops, seq: step + 1) == outcomes && replay == tree, "P3 round \(round)")
                // P3 idempotence: the same batch again leaves the same render
                var twice = tree
                twice.apply(ops, seq: step + 1)
                #expect(
                    twice.render(.json).text == tree.render(.json).text,
                    "P3 idempotence round \(round) ops \(ops) before \(replay.listenerView())")
            }
            // P1 the trunk is constant
            #expect(tree.trunk == start.trunk, "P1 round \(round)")
            // P2 locked leaves never change
            for leaf in lockedBefore {
                #expect(
                    tree.node(at: leaf.path)
                        == .leaf(
                            key: leaf.path.keys.last!, value: leaf.value, origin: leaf.origin, locked: true,
                            updatedAt: leaf.updatedAt), "P2 round \(round)")
            }
            // P4 render of the pruned tree is stable and has no empty leaves or branches
            let pruned = tree.pruned()
            #expect(pruned.pruned() == pruned, "P4 round \(round)")
            #expect(pruned.leaves.allSatisfy { !$0.value.isEmpty }, "P4 round \(round)")
            #expect(
                !pruned.render(.json).text.contains("\"\"") && !pruned.render(.json).text.contains("{}")
                    || pruned.leaves.isEmpty, "P4 round \(round)")
            #expect(tree.render(.outline).text == pruned.render(.outline).text, "P4 round \(round)")
            // P6 the budgeted render is a subset of the full one and within budget
            let full = tree.render(.outline)
            let budget = max(full.tokens / 2, 1)
            let small = tree.render(.outline, budget: budget)
            let fullLines = Set(full.text.split(separator: "\n"))
            #expect(small.text.split(separator: "\n").allSatisfy { fullLines.contains($0) }, "P6 round \(round)")
            if small.withinBudget { #expect(small.tokens <= budget, "P6 round \(round)") }
            let lockedLines = tree.leaves.filter { $0.locked && !$0.value.isEmpty }
            for leaf in lockedLines {
                #expect(small.text.contains(leaf.path.keys.joined(separator: " > ") + ": "), "P6 locked round \(round)")
            }
            let jsonSmall = tree.render(.json, budget: max(tree.render(.json).tokens / 2, 1))
            if jsonSmall.withinBudget { #expect(jsonSmall.tokens <= max(tree.render(.json).tokens / 2, 1)) }
        }
    }

    /// P5: the same ops applied in different orders give equal trees with identical renders.
    @Test func renderIsIndependentOfBuildOrder() {
        var rng = SeededRNG(seed: 5)
        for round in 0..<300 {
            let base = Self.randomTree(&rng)
            let targets = base.leaves.filter { !$0.locked }.map(\.path)
            var ops = targets.filter { _ in rng.chance(0.6) }.map { MemoryOp.update($0, "value of \($0)") }
            ops += targets.filter { _ in rng.chance(0.2) }.map { MemoryOp.delete($0) }.filter { op in
                !ops.contains { $0.path == op.path }
            }
            var shuffled = ops
            rng.stream.shuffle(&shuffled)
            var a = base
            for op in ops { a.apply([op], seq: 3) }
            var b = base
            for op in shuffled { b.apply([op], seq: 3) }
            var c = base
            c.apply(shuffled, seq: 3)
            #expect(a == b && b == c, "P5 round \(round)")
            #expect(a.render(.json).text == b.render(.json).text && a.render(.outline).text == c.render(.outline).text)
        }
    }

    @Test func budgetDropsGrownOldestFirstThenSchemaNeverLocked() {
        var t = smallTree()
        t.apply([.add(path("identity.age"), "34")], seq: 1)
        t.apply([.add(path("preferences.music"), "jazz")], seq: 2)
        t.apply([.add(path("preferences.sport"), "tennis")], seq: 3)
        let full = t.render(.outline)
        #expect(
            full.text
                == "identity > name: Ana\nidentity > age: 34\npreferences > music: jazz\npreferences > sport: tennis")
        let r1 = t.render(.outline, budget: full.tokens - 1)
        #expect(r1.droppedLeaves == 1 && !r1.text.contains("music"))
        let r3 = t.render(.outline, budget: 1)
        #expect(r3.text == "identity > name: Ana" && r3.droppedLeaves == 3 && !r3.withinBudget)
    }

    @Test func jsonRenderKeepsSchemaOrderWithTwoSpaceIndent() {
        var t = smallTree()
        t.apply([.add(path("preferences.food"), "pasta \"al dente\"")], seq: 1)
        #expect(
            t.render(.json).text
                == "{\n  \"identity\": {\n    \"name\": \"Ana\"\n  },\n  \"preferences\": {\n    \"food\": \"pasta \\\"al dente\\\"\"\n  }\n}"
        )
    }
}

@Suite struct OpQualityTests {
    let gold: [MemoryOp] = [.add(path("a.b"), "Likes tea"), .delete(path("c.d"))]

    @Test func referenceValues() {
        #expect(OpQualityScore.score(predicted: gold, gold: gold).score == 1.0)
        #expect(OpQualityScore.score(predicted: [.add(path("a.b"), "likes  TEA!")], gold: [gold[0]]).score == 1.0)
        let oneExtra = OpQualityScore.score(predicted: [gold[0], .add(path("x.y"), "z")], gold: [gold[0]])
        #expect(oneExtra.score == 0.0)
        let hybrid = OpQualityScore.score(predicted: [gold[0], .update(path("c.d"), "x")], gold: gold)
        #expect(hybrid.score == 0.0)
        #expect(OpQualityScore.score(predicted: [], gold: [.noop]).score == 1)
        #expect(OpQualityScore.score(predicted: [.add(path("a.b"), "x")], gold: [.noop]).score == -1)
        let partial = OpQualityScore.score(predicted: [.add(path("a.b"), "coffee")], gold: [gold[0]])
        #expect(partial.score == 0.5 && partial.partial == 1)
        let missing = OpQualityScore.score(predicted: [], gold: gold)
        #expect(missing.score == -0.5 && missing.recall == 0)
        #expect(OpQualityScore.score(predicted: gold, gold: gold).f1 == 1)
    }
}

@Suite struct TreeSchemaTests {
    static let schemaPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Scenarios/memory/persona-tree.json").path

    @Test func builtInSchemaIsTheShippedFile() throws {
        let file = try String(contentsOfFile: Self.schemaPath, encoding: .utf8)
        #expect(TreeSchema.defaultPersonaText + "\n" == file)
        #expect(try TreeSchema.defaultPersona() == TreeSchema.load(Self.schemaPath))
    }

    @Test func defaultSchemaLoadsInOrder() throws {
        let schema = try TreeSchema.load(Self.schemaPath)
        #expect(schema.tree.schemaID == "agora.person.v1")
        #expect(
            schema.tree.root.children.map(\.key) == [
                "identity", "lifeSituation", "personality", "preferences", "beliefs", "relationships",
                "recentExperiences", "beliefsAbout",
            ])
        #expect(schema.tree.leaves.allSatisfy { $0.value.isEmpty && !$0.locked })
    }

    @Test func seedingFillsAndLocksPersonaCore() throws {
        let schema = try TreeSchema.load(Self.schemaPath)
        let persona = PersonaSeed(
            attributes: [
                .init(name: "Name", value: "Ana Souza"), .init(name: "age", value: "34"),
                .init(name: "City", value: "Lisbon"), .init(name: "favourite_colour", value: "green"),
                .init(name: "Diet", value: "vegetarian"),
            ], narrative: "Ana teaches maths.")
        var tree = schema.seeded(with: persona)
        #expect(tree.node(at: path("identity.name"))?.value == "Ana Souza")
        #expect(tree.node(at: path("identity.location"))?.isLocked == true)
        #expect(tree.node(at: path("preferences.food"))?.value == "vegetarian")
        #expect(tree.node(at: path("identity.favourite_colour"))?.value == "green")
        #expect(tree.node(at: path("identity.narrative"))?.value == "Ana teaches maths.")
        #expect(tree.apply([.update(path("identity.age"), "35")], seq: 3) == [.rejected(.locked)])
        // round trip through the file format
        let reread = try TreeSchema.parse(tree.jsonValue.serialized(pretty: true)).tree
        #expect(reread == tree)
    }

    @Test func badFilesNameTheLineOrPath() {
        #expect { try TreeSchema.parse("{\n \"children\": [\n  {\"key\": }\n]}", file: "t.json") } throws: { e in
            let m = (e as? MemoryError)?.message ?? ""
            return m.hasPrefix("t.json:3:")
        }
        #expect { try TreeSchema.parse("{\"children\": [{\"children\": []}]}", file: "t.json") } throws: { e in
            (e as? MemoryError)?.message == "t.json: $.children[0]: missing \"key\""
        }
    }
}

@Suite struct ObjectKeyedImportTests {
    @Test func insideOutStyleSchemasImportInKeyOrder() throws {
        let text = #"{"Personality": {"Traits": {"openness": "", "humour": "dry"}}, "Lifestyle": {"sleep": null}}"#
        let schema = try TreeSchema.importObjectKeyed(text, schemaID: "insideout")
        #expect(schema.tree.root.children.map(\.key) == ["Personality", "Lifestyle"])
        #expect(
            schema.tree.leaves.map(\.path.description) == [
                "Personality.Traits.openness", "Personality.Traits.humour", "Lifestyle.sleep",
            ])
        #expect(schema.tree.node(at: path("Personality.Traits.humour"))?.value == "dry")
        #expect { try TreeSchema.importObjectKeyed(#"{"a.b": ""}"#, schemaID: "x") } throws: {
            ($0 as? MemoryError)?.code == .invalidTree
        }
    }
}
