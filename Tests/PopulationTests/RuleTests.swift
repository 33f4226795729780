import Storage
import Testing

@testable import Population

@Suite("Rule language")
struct RuleTests {
    static func compile(_ rule: Rule, taxonomy: Taxonomy) throws -> CompiledRule {
        try taxonomy.ruleCompiler().compile(rule, file: "rules.json", path: "$.rules[0]")
    }

    @Test("Test 13: minors_no_tertiary rejects, is pending, and forward-checks the education domain")
    func minorsNoTertiary() throws {
        let taxonomy = try DemoFixture.taxonomyValue()
        let rule = try Self.compile(
            try #require(taxonomy.rules.first { $0.id == "minors_no_tertiary" }), taxonomy: taxonomy)
        let schema = RuleSchema(taxonomy)
        let age = try #require(taxonomy.index(of: "demo.age"))
        let education = try #require(taxonomy.index(of: "demo.education"))
        let doctorate = Int64(try #require(taxonomy.attributes[education].optionIndex("doctorate")))
        var values = Assignment(count: taxonomy.attributes.count)
        values.set(age, 16)
        values.set(education, doctorate)
        #expect(rule.truth(schema, values) == .false)
        #expect(!rule.holds(schema, values))
        values.clear(age)
        #expect(rule.truth(schema, values) == .unknown)
        values.set(age, 30)
        #expect(rule.truth(schema, values) == .true)
        // Forward checking with age = 16 removes the tertiary levels.
        values.set(age, 16)
        var allowed: [String] = []
        for (index, option) in taxonomy.attributes[education].options.enumerated() {
            values.set(education, Int64(index))
            if rule.truth(schema, values) != .false { allowed.append(option.id) }
        }
        #expect(allowed == ["none", "primary", "lower_secondary", "upper_secondary"])
    }

    @Test("Kleene logic: false ∧ unknown = false, true ∧ unknown = unknown, true ∨ unknown = true")
    func kleene() throws {
        let taxonomy = try DemoFixture.taxonomyValue()
        let compiler = taxonomy.ruleCompiler()
        let schema = RuleSchema(taxonomy)
        var values = Assignment(count: taxonomy.attributes.count)
        values.set(try #require(taxonomy.index(of: "demo.sex")), 0)
        func truth(_ text: String) throws -> Truth {
            var dependencies: [Int] = []
            let condition = try compiler.condition(text, context: "t", file: nil, path: "$", into: &dependencies)
            return schema.truth(condition, values)
        }
        #expect(try truth("demo.sex == male and demo.age > 3") == .false)
        #expect(try truth("demo.sex == female and demo.age > 3") == .unknown)
        #expect(try truth("demo.sex == female or demo.age > 3") == .true)
        #expect(try truth("not (demo.age > 3)") == .unknown)
        #expect(try truth("demo.age is unset") == .unknown)
        #expect(try truth("abs(2 - 5) * 2 == 6 and min(1, 2) < max(1, 2)") == .true)
    }

    @Test(
        "Test 14: unknown attributes, '<' on an enum and out-of-domain literals are load-time errors naming the rule",
        arguments: [
            ("unknown_attr", "demo.agee >= 18", "unknown attribute 'demo.agee'"),
            ("enum_less", "demo.sex < male", "'<' on enum attribute 'demo.sex'"),
            ("bad_literal", "demo.education == phd", "literal 'phd' is not a value of 'demo.education'"),
        ])
    func loadTimeErrors(id: String, require: String, reason: String) throws {
        let taxonomy = try DemoFixture.taxonomyValue()
        #expect {
            _ = try Self.compile(Rule(id: id, require: require), taxonomy: taxonomy)
        } throws: { error in
            guard let error = error as? PopulationError else { return false }
            return error.code == .invalidRule && error.message.contains("rule '\(id)'")
                && error.message.contains(reason) && error.path == "$.rules[0].require"
        }
    }

    @Test("Ordinal comparisons, sets, lookup tables and references compile and evaluate")
    func richerExpressions() throws {
        let taxonomy = try DemoFixture.taxonomyValue()
        var references = taxonomy
        references.inlineReferences = [
            "tables/mid": .table([("female", 40), ("male", 42)]),
            "vocab/tertiary": .list(["bachelor", "master", "doctorate"]),
        ]
        let compiler = references.ruleCompiler()
        let schema = RuleSchema(taxonomy)
        var values = Assignment(count: taxonomy.attributes.count)
        values.set(try #require(taxonomy.index(of: "demo.sex")), 1)
        values.set(try #require(taxonomy.index(of: "demo.age")), 41)
        values.set(try #require(taxonomy.index(of: "demo.education")), 6)
        values.set(try #require(taxonomy.index(of: "life.hobbies")), 0b101)
        func truth(_ text: String) throws -> Truth {
            var dependencies: [Int] = []
            return schema.truth(
                try compiler.condition(text, context: "t", file: nil, path: "$", into: &dependencies), values)
        }
        #expect(try truth("abs(demo.age - lookup(@tables/mid, demo.sex)) <= 1.5") == .true)
        #expect(try truth("demo.education in @vocab/tertiary") == .true)
        #expect(try truth("demo.education >= bachelor and demo.education < doctorate") == .true)
        #expect(try truth("contains(life.hobbies, music) and count(life.hobbies) == 2") == .true)
        #expect(try truth("contains(life.hobbies, sports)") == .false)
        #expect(try truth("demo.education not in [master]") == .false)
    }
}
