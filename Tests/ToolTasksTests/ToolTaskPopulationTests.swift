import Agents
import AgoraTesting
import Environments
import Foundation
import Inference
import Memory
import Population
import Runs
import Scenarios
import Storage
import Testing
import Worlds

@testable import ToolTasks

@Suite("Population personas as tool-task users (spec §10.6)")
struct ToolTaskPopulationTests {
    static let maria = Persona(
        id: "p000001",
        attributes: JSONObject([
            ("name", "Maria Lopez"), ("age", 34), ("age_band", "25-34"), ("occupation", "nurse"),
            ("email", "maria.lopez@example.com"),
        ]),
        narrative:
            "Maria is a night-shift nurse in Phoenix who commutes 25 minutes by car; Maria's badge is RN4471 and she was born in 1991."
    )

    static let people = [
        maria,
        Persona(
            id: "p2",
            attributes: JSONObject([("name", "Linda Schmidt"), ("age_band", "65+"), ("occupation", "retired teacher")])),
        Persona(
            id: "p3",
            attributes: JSONObject([("name", "Aisha Rahman"), ("age_band", "25-34"), ("occupation", "developer")])),
    ]

    @Test("persona text is made task-safe: name replaced, ids, emails and long numbers removed, short numbers in words")
    func sanitised() {
        let persona = Self.maria.taskSafe()
        #expect(
            persona.narrative
                == "The customer is a night-shift nurse in Phoenix who commutes twenty-five minutes by car; the customer's badge is and she was born in."
        )
        #expect(
            persona.attributes
                == JSONObject([
                    ("age", "thirty-four"), ("age band", "twenty-five to thirty-four"), ("occupation", "nurse"),
                ]))
        #expect(persona.displayName == "the customer" && persona.id == Self.maria.id)
        let text = persona.promptText
        #expect(!text.contains(where: \.isNumber) && !text.contains("@") && !text.contains("Maria"))
        #expect(PersonaLibrary.lintText(text).isEmpty)
        #expect(
            Persona.taskSafeText("65+ and 105, id C1006, ORDER #12", names: [])
                == "sixty-five or more and one hundred and five, id, ORDER")
    }

    @Test("the LLM user's prompt gets a <persona> block; the <scenario> block is byte-identical with and without it")
    func promptBlocks() throws {
        let task = try #require(try SupportDesk.load().task("sd-004"))
        let policy = PersonaLibrary.standard.preset("impatient_guarded")
        let block = Self.maria.taskSafe().promptText
        func scenario(_ prompt: String) -> Substring? {
            guard let start = prompt.range(of: "<scenario>"), let end = prompt.range(of: "</scenario>") else {
                return nil
            }
            return prompt[start.lowerBound..<end.upperBound]
        }
        for behaviour in [nil, policy] {
            let without = LLMUser.systemPrompt(task: task, persona: behaviour)
            let with = LLMUser.systemPrompt(task: task, persona: behaviour, population: Self.maria)
            #expect(scenario(without) != nil && scenario(without) == scenario(with))
            #expect(!without.contains("<persona>"))
            #expect(with.contains("<persona>\n" + LLMUser.personaPreamble + "\n" + block + "\n</persona>"))
            // The persona block comes after the scenario and before any behaviour block; nothing else changes.
            #expect(
                with.replacingOccurrences(
                    of: "\n\n<persona>\n" + LLMUser.personaPreamble + "\n" + block + "\n</persona>", with: "")
                    == without)
        }
        // The preamble keeps goal and stop rules, and holds no stop token.
        #expect(LLMUser.personaPreamble.contains("not WHAT you want") && !LLMUser.personaPreamble.contains("###"))
    }

    @Test("the LLM user sends the persona block to its model")
    func userSendsBlock() async throws {
        let task = try #require(try SupportDesk.load().task("sd-004"))
        let model = ScriptedModel(replies: ["###STOP###"])
        let user = LLMUser(model: model, population: Self.maria)
        _ = try await user.next(UserView(task: task, persona: nil, log: EpisodeLog(), tools: []))
        #expect(model.requests.first?.messages.first?.content.contains("night-shift nurse") == true)
    }

    @Test(
        "one renderer: a survey respondent, an agent and (made task-safe) a tool-task user show the same persona block"
    )
    func oneRenderer() async throws {
        let persona = Self.maria
        // A survey respondent: "You are NAME.", the block, the instructions.
        let survey: JSONValue = [
            "id": "one-renderer", "kind": "survey", "title": "T", "seed": 1,
            "population": ["inline": [persona.participantJSON]],
            "survey": [
                "instructions": "Answer.",
                "items": [["id": "q", "type": "single-choice", "question": "Tea?", "options": ["Yes", "No"]]],
            ],
        ]
        let model = ScriptedModel(rule: { _ in #"{"answer": "Yes"}"# })
        _ = try await ScenarioRunner.run(
            scenario: try Scenario.parse(survey), model: model,
            options: RunOptions(outDirectory: ToolTaskRunTests.temp("one-renderer")))
        let surveySystem = try #require(model.requests.first?.messages.first?.content)
        #expect(
            surveySystem == "You are Maria Lopez.\n\n" + persona.promptText
                + "\n\nYou are taking part in a survey. Answer.")
        // An agent (participant, moderator, interviewer): the roster line, then the same block.
        let agent = Agent(
            id: ParticipantID(unchecked: "maria"), profile: AgentProfile(persona), model: ScriptedModel(replies: []))
        let roster = [agent.participant, Participant(id: ParticipantID(unchecked: "bo"), displayName: "Bo")]
        let agentSystem = agent.systemMessage(for: TurnContext(transcript: try Transcript(roster: roster)))
        #expect(agentSystem.hasPrefix("You are Maria Lopez. Also present: Bo.\n\n" + persona.promptText + "\n\n"))
        // A tool-task user: the same renderer over the task-safe transformation of the persona.
        let task = try #require(try SupportDesk.load().task("sd-004"))
        let userSystem = LLMUser.systemPrompt(task: task, persona: nil, population: persona)
        let safe = persona.taskSafe()
        #expect(userSystem.hasSuffix("\n" + LLMUser.personaPreamble + "\n" + safe.promptText + "\n</persona>"))
        #expect(
            safe.promptText
                == "The customer is a night-shift nurse in Phoenix who commutes twenty-five minutes by car; the customer's badge is and she was born in.\n\nAbout you:\n- age: thirty-four\n- age band: twenty-five to thirty-four\n- occupation: nurse"
        )
        // Rendering a persona that is already task-safe changes nothing.
        #expect(safe.taskSafe().promptText == safe.promptText)
    }

    @Test("a POPULATION.json spec is generated on the fly by the population factory; a JSONL file is read as is")
    func sources() async throws {
        let root = SupportDesk.directory.deletingLastPathComponent().deletingLastPathComponent()
        let spec = root.appendingPathComponent("populations/students.json").path
        let generated = try await ToolTaskPopulation(file: spec, count: 4).resolve()
        #expect(generated.count == 4)
        #expect(try await ToolTaskPopulation(file: spec, count: 4).resolve().map(\.json) == generated.map(\.json))
        let file = root.appendingPathComponent("personas/sample-people.jsonl").path
        let read = try await ToolTaskPopulation(file: file).resolve()
        let direct = try Persona.readJSONL(file: file)
        #expect(read.first?.id == "p000001" && read.count == direct.count)
        #expect(ToolTaskPopulation(file: file).json["personas"]?.stringValue?.hasPrefix("/") == true)
        await #expect(throws: RunError.self) { try await ToolTaskPopulation.inline([]).resolve() }
    }

    @Test("assignment is a seeded permutation cycled over (task, policy) pairs: deterministic and balanced")
    func assignment() {
        let a = ToolTaskPopulation.assignment(pairs: 10, population: 3, seed: 7)
        #expect(a == ToolTaskPopulation.assignment(pairs: 10, population: 3, seed: 7))
        #expect(a.count == 10)
        for i in 3..<10 { #expect(a[i] == a[i - 3]) }
        #expect(Set(a[0..<3]) == [0, 1, 2])
        let seeds = (1...8).map { ToolTaskPopulation.assignment(pairs: 5, population: 5, seed: $0) }
        #expect(Set(seeds.map { $0.map(String.init).joined() }).count > 1)
        #expect(ToolTaskPopulation.assignment(pairs: 4, population: 0, seed: 1).isEmpty)
    }

    @Test(
        "a run with a population records the persona per episode, shows it to the LLM user and breaks results down by attribute"
    )
    func run() async throws {
        // The user stops at once when it plays the retired teacher (those episodes fail); otherwise it asks once, then stops.
        let user = ScriptedModel(rule: { request in
            let system = request.messages.first?.content ?? ""
            if system.contains("retired teacher") { return "###STOP###" }
            return request.messages.count <= 2 ? "Hello, I need help with my account." : "###STOP###"
        })
        let config = ToolTaskRunConfig(
            domain: SupportDesk.directory, split: "test", agent: .gold, user: .model(user), seed: 11,
            outDirectory: ToolTaskRunTests.temp("population"), population: .inline(Self.people),
            splitBy: ["age_band", "occupation"])
        // An attribute no persona has is refused before any episode runs (it would put every trial under "(none)").
        var typo = config
        typo.splitBy.append("missing")
        await #expect(throws: RunError.self) { try await ToolTaskRunner.run(typo) }
        #expect(user.requests.isEmpty)
        let summary = try await ToolTaskRunner.run(config)
        let trials = try #require(summary.results["trials"]?.arrayValue)
        #expect(trials.count == 10)
        // Deterministic assignment: pair i gets people[order[i % 3]].
        let order = ToolTaskPopulation.assignment(pairs: 3, population: 3, seed: 11)
        #expect(
            trials.enumerated().allSatisfy { i, t in t["userPersona"]?.stringValue == Self.people[order[i % 3]].id })
        #expect(
            trials.allSatisfy {
                ($0["unit"]?.stringValue ?? "").contains("/" + ($0["userPersona"]?.stringValue ?? "?") + "/t0")
            })
        #expect(trials.filter { $0["userPersona"] == "p2" }.allSatisfy { $0["passed"] == false })
        #expect(
            trials.allSatisfy { t in
                t["userAttributes"]
                    == Self.people.first { $0.id == t["userPersona"]?.stringValue }.map { .object($0.attributes) }
            })
        // The breakdown equals a count made here from the trials.
        let attributes = Dictionary(uniqueKeysWithValues: Self.people.map { ($0.id, $0.attributes) })
        let breakdown = try #require(summary.results["summary"]?["byPersonaAttribute"]?.arrayValue)
        #expect(breakdown.compactMap { $0["attribute"]?.stringValue } == ["age_band", "occupation"])
        for entry in breakdown {
            let attribute = entry["attribute"]?.stringValue ?? ""
            var expected: [String: (n: Int64, c: Int64)] = [:]
            for t in trials {
                let value = attributes[t["userPersona"]?.stringValue ?? ""]?[attribute]?.stringValue ?? "(none)"
                expected[attribute + "=" + value, default: (0, 0)].n += 1
                if t["passed"] == true { expected[attribute + "=" + value, default: (0, 0)].c += 1 }
            }
            let groups = entry["groups"]?.arrayValue ?? []
            #expect(groups.count == expected.count)
            for g in groups {
                let e = expected[g["key"]?.stringValue ?? ""]
                #expect(g["trials"]?.intValue == e?.n && g["passed"]?.intValue == e?.c, "\(g)")
            }
        }
        #expect(
            breakdown[1]["groups"]?.arrayValue?.first { $0["key"] == "occupation=retired teacher" }?["passRate"]?
                .doubleValue == 0)
        // The persona reached the user model, and the store has the people and each unit's persona.
        #expect(user.requests.contains { $0.messages.first?.content.contains("<persona>") == true })
        let store = try RunStore.open(summary.directory)
        #expect(try await store.personas().map(\.id).sorted() == ["p000001", "p2", "p3"])
        #expect(try await store.units().allSatisfy { $0.spec.input["population"]?["id"] != nil })
        let report = try String(contentsOf: summary.directory.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(report.contains("## By persona attribute `occupation`"))
        let html = try String(contentsOf: summary.directory.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("<h3>pass^1 by user persona attribute occupation</h3>"))
        #expect(html.contains("occupation=retired teacher"))
        // Same seed, same files.
        var again = config
        again.outDirectory = ToolTaskRunTests.temp("population-2")
        let second = try await ToolTaskRunner.run(again)
        #expect(second.results["trials"] == summary.results["trials"])
    }
}
