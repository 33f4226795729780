import Foundation
import Storage

@testable import Population

/// The demo taxonomy of spec §7 plus three targets (age × sex joint, education, region).
enum DemoFixture {
    static let pinnedDigest = "f022570dd49c048934470cdcd202b621134f3cf2b95b0aebf49ad1e5911cbf45"
    static let taxonomy: JSONValue = try! JSONValue.parse(
        #"""
        {
          "taxonomyVersion": "1.0", "id": "demo",
          "nodes": [
            {"id": "demo", "label": "Demographics", "children": [
              {"id": "demo.age", "kind": "int", "range": [0, 100],
               "bins": [{"id":"0-17","lo":0,"hi":17},{"id":"18-24","lo":18,"hi":24},{"id":"25-34","lo":25,"hi":34},
                        {"id":"35-44","lo":35,"hi":44},{"id":"45-54","lo":45,"hi":54},{"id":"55-64","lo":55,"hi":64},
                        {"id":"65+","lo":65,"hi":100}]},
              {"id": "demo.sex", "kind": "enum", "values": [{"id":"female","label":"Female"},{"id":"male","label":"Male"}]},
              {"id": "demo.education", "kind": "ordinal",
               "values": ["none","primary","lower_secondary","upper_secondary","post_secondary","bachelor","master","doctorate"]},
              {"id": "geo.region", "kind": "enum", "values": ["northeast","midwest","south","west"]},
              {"id": "hh.size", "kind": "int", "range": [1, 8], "bins": [{"id":"1","lo":1,"hi":1},{"id":"2","lo":2,"hi":2},{"id":"3-4","lo":3,"hi":4},{"id":"5+","lo":5,"hi":8}],
               "prior": {"weights": {"1": 0.28, "2": 0.35, "3-4": 0.28, "5+": 0.09}}}
            ]},
            {"id": "work", "children": [
              {"id": "work.status", "kind": "enum", "values": ["student","employed","unemployed","retired","homemaker"],
               "prior": {"given": ["demo.age"], "table": [
                 {"if": ["0-17"], "weights": {"student": 1}},
                 {"if": ["65+"], "weights": {"retired": 6, "employed": 2, "homemaker": 1}}],
                 "default": {"weights": {"student": 1, "employed": 6, "unemployed": 1, "retired": 1, "homemaker": 1}}}},
              {"id": "work.occupation", "kind": "enum", "enabledIf": "demo.age >= 15",
               "values": ["none","manager","professional","technician","clerk","service","craft","operator","elementary"]}
            ]},
            {"id": "psy", "label": "Psychological", "optional": true, "probability": 0.7, "children": [
              {"id": "psy.big5.openness", "kind": "ordinal", "values": [{"id":"low"},{"id":"mid"},{"id":"high"}],
               "prior": {"weights": {"low":0.25,"mid":0.5,"high":0.25}}},
              {"id": "psy.big5.conscientiousness", "kind": "ordinal", "values": ["low","mid","high"]},
              {"id": "psy.big5.extraversion", "kind": "ordinal", "values": ["low","mid","high"]},
              {"id": "psy.big5.agreeableness", "kind": "ordinal", "values": ["low","mid","high"]},
              {"id": "psy.big5.neuroticism", "kind": "ordinal", "values": ["low","mid","high"]},
              {"id": "psy.values_summary", "kind": "text", "generator": "llm", "maxChars": 200}
            ]},
            {"id": "life", "children": [
              {"id": "life.hobbies", "kind": "set", "values": ["reading","sports","music","gaming","cooking","travel","gardening","crafts"], "minCount": 1, "maxCount": 3},
              {"id": "life.smoker", "kind": "bool", "prior": {"weights": {"true": 0.15, "false": 0.85}}},
              {"id": "life.pet", "kind": "enum", "values": ["none","dog","cat","other"]},
              {"id": "life.sleep", "kind": "ordinal", "values": ["short","normal","long"]},
              {"id": "media.main", "kind": "enum", "values": ["tv","radio","print","web","social","podcasts"]}
            ]}
          ],
          "rules": [
            {"id": "minors_no_tertiary", "severity": "hard", "when": "demo.age < 18",
             "require": "demo.education in [none, primary, lower_secondary, upper_secondary]",
             "message": "under-18s cannot hold tertiary degrees"},
            {"id": "doctorate_min_age", "when": "demo.education == doctorate", "require": "demo.age >= 24"},
            {"id": "occupation_needs_working_age", "when": "work.occupation != none", "require": "demo.age >= 15"},
            {"id": "professional_needs_degree", "when": "work.occupation in [professional, manager]", "require": "demo.education >= bachelor"},
            {"id": "student_no_occupation", "when": "work.status == student and demo.age < 18", "require": "work.occupation is unset or work.occupation == none"},
            {"id": "retired_age", "severity": "soft", "when": "work.status == retired", "require": "demo.age >= 50", "penalty": 1.0}
          ]
        }
        """#)

    static func spec(population: Int = 1000, seed: UInt64 = 20_251_122, extra: String = "") throws -> PopulationSpec {
        let text = #"""
            {
              "id": "demo", "population": \#(population), "seed": \#(seed),
              "targets": [
                {"id": "age_sex", "dims": ["demo.age#bins", "demo.sex"], "kind": "proportions", "table": [
                  ["0-17","female",0.105], ["0-17","male",0.11], ["18-24","female",0.045], ["18-24","male",0.047],
                  ["25-34","female",0.068], ["25-34","male",0.07], ["35-44","female",0.064], ["35-44","male",0.064],
                  ["45-54","female",0.062], ["45-54","male",0.06], ["55-64","female",0.064], ["55-64","male",0.06],
                  ["65+","female",0.098], ["65+","male",0.093]]},
                {"id": "edu", "dims": ["demo.education"], "kind": "proportions", "table": [
                  ["none",0.03], ["primary",0.07], ["lower_secondary",0.12], ["upper_secondary",0.33],
                  ["post_secondary",0.12], ["bachelor",0.21], ["master",0.09], ["doctorate",0.03]]},
                {"id": "region", "dims": ["geo.region"], "kind": "proportions", "table": [
                  ["northeast",0.171], ["midwest",0.208], ["south",0.383], ["west",0.238]]}
              ]\#(extra)
            }
            """#
        var json = try JSONValue.parse(text)
        if case .object(var object) = json {
            object["taxonomy"] = taxonomy
            json = .object(object)
        }
        return try PopulationSpec.load(json: json, file: "demo.json", baseDirectory: nil)
    }

    static func taxonomyValue() throws -> Taxonomy {
        try Taxonomy.load(json: taxonomy, file: "demo.taxonomy.json", baseDirectory: nil)
    }
}
