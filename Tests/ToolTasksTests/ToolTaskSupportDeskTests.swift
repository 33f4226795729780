import Agents
import AgoraTesting
import Environments
import Foundation
import Inference
import Memory
import Runs
import Scenarios
import Storage
import Testing
import Worlds

@testable import ToolTasks

enum SupportDesk {
    /// Scripted models for sd-004 (a plan change): the agent finds the customer, changes the plan
    /// and confirms; the user asks once and stops.
    static func planChangeModels() -> (agent: ScriptedModel, user: ScriptedModel) {
        let agent = ScriptedModel(answers: [
            .toolCalls([
                ToolCall(id: "c1", name: "find_customer_by_email", arguments: "{\"email\":\"pedro.alves@example.com\"}")
            ]),
            .toolCalls([
                ToolCall(id: "c2", name: "change_plan", arguments: "{\"customer_id\":\"C1006\",\"plan\":\"basic\"}")
            ]),
            .text("Your plan is now basic."),
        ])
        let user = ScriptedModel(replies: [
            "I want the basic plan. I'm Pedro Alves, pedro.alves@example.com.", "###STOP###",
        ])
        return (agent, user)
    }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Scenarios/domains/support-desk")
    static let domain: ToolDomain? = try? ToolDomain.load(directory)
    static func load() throws -> ToolDomain { try #require(domain) }

    /// Runs one episode and grades it.
    static func run(
        _ task: ToolTask, agent: any ToolTaskAgent, user: any UserSimulator = ScriptedUser(),
        persona: PersonaPolicy? = nil,
        limits: EpisodeLimits = EpisodeLimits(), domain: ToolDomain? = nil
    ) async throws -> (EpisodeOutcome, EvalResult, ToolEnvironment) {
        let domain = try domain ?? load()
        let env = try ToolEnvironment(domain: domain, task: task)
        let outcome = try await Episode.run(
            task: task, environment: env, agent: agent, user: user, persona: persona, limits: limits)
        let (target, _) = try Grader.target(domain: domain, task: task)
        return (outcome, try Grader.grade(task: task, outcome: outcome, final: env, target: target), env)
    }

    static func call(_ name: String, _ args: JSONValue, id: String = "") -> AgentMessage {
        .calls([ToolInvocation(id: id, name: name, arguments: args.serialized())])
    }

    static func task(_ json: JSONValue) throws -> ToolTask { try ToolTask.parse(json, file: nil, path: "$") }
}

@Suite("Support desk domain")
struct ToolTaskSupportDeskTests {
    @Test("the domain has 6 graded tables, 13 tools, 30 tasks with the 60/25/15 mix")
    func shape() throws {
        let domain = try SupportDesk.load()
        #expect(domain.manifest.stateTables.count == 6)
        #expect(domain.tools.count == 13)
        #expect(domain.tasks.count == 30)
        let transfers = domain.tasks.filter(\.expectTransfer).count
        let refusals = domain.tasks.filter { !$0.requiredOutputs.isEmpty }.count
        #expect(transfers == 4 && refusals == 8 && domain.tasks.count - transfers - refusals == 18)
        #expect(domain.policy.contains("2025-03-20T12:00:00"))
    }

    @Test("T1/T2: gold scores 1.0 on every task, the no-op agent 0 on every task")
    func goldAndNoOp() async throws {
        let domain = try SupportDesk.load()
        for task in domain.tasks {
            let (outcome, gold, _) = try await SupportDesk.run(task, agent: GoldReplayAgent())
            #expect(gold.passed, "\(task.id): \(outcome.termination) \(gold.json.serialized())")
            let (_, noop, _) = try await SupportDesk.run(task, agent: NoOpAgent())
            #expect(noop.reward == 0, "\(task.id)")
        }
    }

    @Test("lint accepts the support desk: no errors")
    func lint() async throws {
        let findings = await TaskLinter.lint(try SupportDesk.load())
        #expect(findings.filter { $0.severity == "error" }.isEmpty, "\(findings.map(\.line))")
    }

    @Test("T4: two gold replays give the same digest and byte-identical transcripts; the replay audit agrees")
    func determinism() async throws {
        let domain = try SupportDesk.load()
        let task = try #require(domain.task("sd-018"))
        let (a, ra, envA) = try await SupportDesk.run(task, agent: GoldReplayAgent())
        let (b, rb, _) = try await SupportDesk.run(task, agent: GoldReplayAgent())
        #expect(a.jsonl == b.jsonl)
        #expect(ra.db.predictedDigest == rb.db.predictedDigest && ra.db.predictedDigest == ra.db.targetDigest)
        // Replay audit: the successful mutating calls of the transcript, on a fresh environment.
        let audit = try ToolEnvironment(domain: domain, task: task)
        for entry in a.transcript {
            for call in entry.toolCalls where domain.tool(named: call.name, side: call.side)?.mutatesState == true {
                _ = audit.call(call.name, argumentsText: call.arguments, side: call.side)
            }
        }
        #expect(try audit.digest().hex == envA.digest().hex)
    }

    @Test("T5: a wrong write scores 0 and the diff names exactly the affected rows")
    func wrongWrite() async throws {
        let domain = try SupportDesk.load()
        let task = try #require(domain.task("sd-001"))
        var messages = task.actions.map { SupportDesk.call($0.name, $0.arguments) }
        messages[2] = SupportDesk.call(
            "issue_refund", ["invoice_id": "INV-2041", "amount_cents": 4900, "method": "original"])
        messages.append(.text(task.goldClosingText))
        let (_, result, _) = try await SupportDesk.run(task, agent: ScriptedAgent(messages))
        #expect(result.reward == 0)
        let rows = result.db.diff.map { "\($0.table) \($0.key)" }
        #expect(rows == ["invoices \"INV-2041\"", "invoices \"INV-2042\"", "refunds \"R-0002\""])
        #expect(result.db.diff.last?.columns.map(\.column) == ["invoice_id"])
    }

    @Test("T6: extra reads between gold steps leave the reward and partial action reward unchanged")
    func extraReads() async throws {
        let domain = try SupportDesk.load()
        let task = try #require(domain.task("sd-013"))
        var messages: [AgentMessage] = []
        for action in task.actions {
            messages.append(SupportDesk.call("get_customer", ["customer_id": "C1003"]))
            messages.append(SupportDesk.call(action.name, action.arguments))
        }
        messages.append(SupportDesk.call("get_ticket", ["ticket_id": "T10001"]))
        messages.append(.text(task.goldClosingText))
        let (_, result, _) = try await SupportDesk.run(task, agent: ScriptedAgent(messages))
        let (_, gold, _) = try await SupportDesk.run(task, agent: GoldReplayAgent())
        #expect(result.reward == 1)
        #expect(result.partialActionReward.read == gold.partialActionReward.read)
        #expect(result.partialActionReward.write == gold.partialActionReward.write)
    }

    @Test("T7: commuting writes swapped still pass; non-commuting writes swapped fail")
    func orderIndependence() async throws {
        let domain = try SupportDesk.load()
        let task = try #require(domain.task("sd-018"))
        let a = task.actions
        let swapped =
            [a[0], a[1], a[3], a[2]].map { SupportDesk.call($0.name, $0.arguments) } + [.text(task.goldClosingText)]
        #expect(try await SupportDesk.run(task, agent: ScriptedAgent(swapped)).1.reward == 1)
        let twoTickets = try SupportDesk.task([
            "id": "two-tickets", "user_scenario": ["instructions": ["reason_for_call": "Two tickets."]],
            "evaluation_criteria": [
                "actions": [
                    [
                        "action_id": "a0", "name": "create_ticket",
                        "arguments": ["customer_id": "C1005", "subject": "First", "priority": "low"],
                    ],
                    [
                        "action_id": "a1", "name": "create_ticket",
                        "arguments": ["customer_id": "C1005", "subject": "Second", "priority": "low"],
                    ],
                ], "reward_basis": ["DB"],
            ],
        ])
        let reversed = twoTickets.actions.reversed().map { SupportDesk.call($0.name, $0.arguments) }
        #expect(try await SupportDesk.run(twoTickets, agent: ScriptedAgent(reversed)).1.reward == 0)
        #expect(try await SupportDesk.run(twoTickets, agent: GoldReplayAgent()).1.reward == 1)
    }

    @Test("T8: a failing write leaves the state unchanged and counts; 10 failures end with tooManyErrors and reward 0")
    func errors() async throws {
        let domain = try SupportDesk.load()
        let env = try ToolEnvironment(domain: domain)
        let before = try env.digest().hex
        let result = env.call(
            "issue_refund", arguments: ["invoice_id": "INV-1988", "amount_cents": 4900, "method": "original"],
            side: .agent)
        #expect(result.error && result.content.contains("30 days"))
        #expect(try env.digest().hex == before)
        #expect(try env.touched().isEmpty)
        let invalid = env.call(
            "issue_refund", arguments: ["invoice_id": "INV-2042", "amount_cents": "lots", "method": "cash"],
            side: .agent)
        #expect(invalid.error && invalid.content.hasPrefix("Error: invalid arguments"))
        #expect(env.call("drop_tables", arguments: [:], side: .agent).error)
        // A task whose gold leaves the state unchanged: 10 failing calls still score 0.
        let task = try #require(domain.task("sd-019"))
        var messages = task.actions.map { SupportDesk.call($0.name, $0.arguments) }
        for _ in 0..<10 {
            messages.append(
                SupportDesk.call(
                    "issue_refund", ["invoice_id": "INV-1988", "amount_cents": 4900, "method": "original"]))
        }
        messages.append(.text(task.goldClosingText))
        let (outcome, graded, _) = try await SupportDesk.run(task, agent: ScriptedAgent(messages))
        #expect(outcome.termination == .tooManyErrors && outcome.errors == 10)
        #expect(graded.db.match && graded.reward == 0)
    }

    @Test("T9: gold with maxSteps below the needed number ends with maxSteps and reward 0")
    func limits() async throws {
        let task = try #require(try SupportDesk.load().task("sd-001"))
        let (outcome, result, _) = try await SupportDesk.run(
            task, agent: GoldReplayAgent(), limits: EpisodeLimits(maxSteps: 4))
        var capped = task
        capped.maxSteps = 4
        let (outcome2, result2, _) = try await SupportDesk.run(capped, agent: GoldReplayAgent())
        #expect(outcome2.termination == .maxSteps && result2.reward == 0)
        #expect(outcome.termination != .maxSteps)  // the task's own x_limits (60) win over the default
        #expect(result.reward == 1)
    }

    @Test(
        "T10: COMMUNICATE drops commas from agent text, ignores case and user text; strict mode rejects mixed messages")
    func communicate() async throws {
        let task = try SupportDesk.task([
            "id": "c", "user_scenario": ["instructions": ["reason_for_call": "Tell me the TOTAL is 1000."]],
            "evaluation_criteria": [
                "actions": [], "communicate_info": ["1000", "total"], "reward_basis": ["COMMUNICATE"],
            ],
        ])
        #expect(
            try await SupportDesk.run(task, agent: ScriptedAgent([.text("The Total is 1,000 dollars.")])).1.reward == 1)
        // The user said it, not the agent.
        #expect(try await SupportDesk.run(task, agent: ScriptedAgent([.text("Sure.")])).1.reward == 0)
        let mixed = AgentMessage(
            text: "The total is 1000",
            calls: [ToolInvocation(id: "x", name: "get_ticket", arguments: "{\"ticket_id\":\"T10001\"}")])
        let (outcome, result, _) = try await SupportDesk.run(
            task, agent: ScriptedAgent([mixed]), limits: EpisodeLimits(strictTurns: true))
        #expect(outcome.termination == .agentError && result.reward == 0)
    }

    @Test(
        "T11: ACTION compare_args nil / [] / subset, and 25 equals 25.0",
        arguments: [
            (nil, ["a": 25, "b": "x"] as JSONValue, true), (nil, ["a": 25.0, "b": "x"], true),
            (nil, ["a": 26, "b": "x"], false),
            (nil, ["a": 25], true), ([], ["z": 1], true), (["a"], ["a": 25.0, "b": "y"], true),
            (["b"], ["a": 25, "b": "y"], false),
        ] as [([String]?, JSONValue, Bool)])
    func actionMatching(compare: [String]?, args: JSONValue, expected: Bool) {
        let action = ToolAction(
            actionID: "a", requestor: .agent, name: "t", arguments: ["a": 25, "b": "x"], compareArgs: compare,
            expectError: false)
        #expect(Grader.matches(action, name: "t", args: args.objectValue ?? JSONObject()) == expected)
        #expect(!Grader.matches(action, name: "other", args: args.objectValue ?? JSONObject()))
    }

    @Test("T12: pass^k and pass@k maths; infra errors excluded; uneven trials cap k")
    func passK() throws {
        var records: [TrialRecord] = []
        for (task, successes) in [("a", 4), ("b", 2), ("c", 0)] {
            for trial in 0..<4 {
                records.append(
                    TrialRecord(taskID: task, trial: trial, termination: .userStop, reward: trial < successes ? 1 : 0))
            }
        }
        records.append(TrialRecord(taskID: "a", trial: 4, termination: .infraError, reward: 0))
        let summary = PassMetrics.summary(records)
        let curve = summary["passHat"]?.arrayValue?.compactMap(\.doubleValue) ?? []
        #expect(curve.count == 4)
        for (value, expected) in zip(curve, [0.5, 0.38889, 0.33333, 0.33333]) { #expect(abs(value - expected) < 1e-5) }
        #expect(abs(PassMetrics.passAt(k: 2, successes: 2, trials: 4) - 0.83333) < 1e-5)
        #expect(summary["infraErrorsExcluded"]?.intValue == 1)
        #expect(summary["flakyTasks"] == ["b"])
        records.append(TrialRecord(taskID: "b", trial: 4, termination: .userStop, reward: 1))
        records.removeAll { $0.taskID == "c" && $0.trial == 3 }
        #expect(PassMetrics.summary(records)["passHat"]?.arrayValue?.count == 3)
    }

    @Test("T13: stop tokens end the episode the right way; text before a token is kept; transfer ends after its result")
    func stopTokens() async throws {
        let task = try #require(try SupportDesk.load().task("sd-027"))
        for (text, termination) in [
            ("Thanks ###STOP###", EpisodeTermination.userStop), ("###TRANSFER###", .userTransferred),
            ("###OUT-OF-SCOPE###", .userOutOfScope),
        ] {
            let (outcome, _, _) = try await SupportDesk.run(
                task, agent: NoOpAgent(), user: TranscriptUser(["hello", text]))
            #expect(outcome.termination == termination)
            #expect(outcome.transcript.last?.content == text)
        }
        let (outcome, result, _) = try await SupportDesk.run(task, agent: GoldReplayAgent())
        #expect(outcome.termination == .agentTransfer && outcome.transcript.last?.role == "tool")
        #expect(result.transfer.observed && result.reward == 1)
        #expect(StopToken.termination(in: "no token") == nil)
    }

    @Test("T14: persona layer — scenario unchanged, seeded sampling, coverage, incompatibles, persona lint")
    func personas() throws {
        let domain = try SupportDesk.load()
        let library = try #require(domain.personas)
        let task = try #require(domain.task("sd-001"))
        let persona = try #require(library.preset("impatient_guarded"))
        let withPersona = LLMUser.systemPrompt(task: task, persona: persona)
        let without = LLMUser.systemPrompt(task: task, persona: nil)
        #expect(withPersona.contains("<scenario>\n" + task.scenario.rendered + "\n</scenario>"))
        #expect(without.contains("<scenario>\n" + task.scenario.rendered + "\n</scenario>"))
        #expect(withPersona.contains("HOW you communicate") && !without.contains("HOW you communicate"))
        let a = library.sample(count: 6, seed: 7)
        #expect(a == library.sample(count: 6, seed: 7))
        #expect(a != library.sample(count: 6, seed: 8))
        for axis in library.axes {
            let seen = Set(a.compactMap { $0.level(axis.id) })
            #expect(seen == Set(axis.levels), "\(axis.id)")
        }
        for n in [3, 6, 12, 40] {
            for p in library.sample(count: n, seed: UInt64(n)) + library.sample(count: n, seed: 1, method: "weighted") {
                #expect(library.isCompatible(p.levels), "\(p.levels)")
                #expect(PersonaLibrary.lintText(p.text).isEmpty)
            }
        }
        #expect(!PersonaLibrary.lintText("Give your order 12345 to them").isEmpty)
        #expect(!PersonaLibrary.lintText("Email bob@example.com").isEmpty)
        #expect(!PersonaLibrary.lintText("Withhold your name.").isEmpty)
        #expect(PersonaLibrary.lintText("Withhold your name; give it when asked again.").isEmpty)
    }

    @Test("T15: a terse, guarded scripted user still lets the gold path score 1.0 and gives slots when asked twice")
    func guardedUser() async throws {
        let domain = try SupportDesk.load()
        let task = try #require(domain.task("sd-004"))
        let persona = try #require(domain.personas?.preset("impatient_guarded"))
        let ask = AgentMessage.text("Could you tell me your email?")
        let messages =
            [ask, ask] + task.actions.map { SupportDesk.call($0.name, $0.arguments) } + [.text(task.goldClosingText)]
        let (outcome, result, _) = try await SupportDesk.run(task, agent: ScriptedAgent(messages), persona: persona)
        let userTexts = outcome.transcript.filter { $0.role == "user" }.compactMap(\.content)
        #expect(userTexts.count >= 3)
        #expect(userTexts[1].hasPrefix("Why"))
        #expect(userTexts[2] == "pedro.alves@example.com")
        #expect(result.reward == 1)
    }

    @Test("T16: importers — v1 task to tau2 shape; tau2 round trip equal except added defaults")
    func importers() throws {
        let v1: JSONValue = [
            "user_id": "mia_li_3668", "instruction": "You are Mia Li. You want to cancel.",
            "actions": [
                ["name": "get_user_details", "kwargs": ["user_id": "mia_li_3668"]],
                ["name": "respond", "kwargs": ["content": "hi"]],
                ["name": "transfer_to_human_agents", "kwargs": ["summary": "x"]],
            ],
            "outputs": ["327"],
        ]
        let expected: JSONValue = [
            "id": "7", "description": ["purpose": nil, "relevant_policies": nil, "notes": "user_id: mia_li_3668"],
            "user_scenario": ["persona": nil, "instructions": "You are Mia Li. You want to cancel."],
            "initial_state": nil,
            "evaluation_criteria": [
                "actions": [
                    [
                        "action_id": "7_0", "requestor": "assistant", "name": "get_user_details",
                        "arguments": ["user_id": "mia_li_3668"],
                    ],
                    [
                        "action_id": "7_1", "requestor": "assistant", "name": "transfer_to_human_agents",
                        "arguments": ["summary": "x"],
                    ],
                ],
                "communicate_info": ["327"], "nl_assertions": [], "reward_basis": ["DB", "COMMUNICATE"],
            ],
            "x_expect_transfer": true,
        ]
        #expect(CanonicalJSON.string(TaskImporter.fromTauBenchV1(v1, index: 7)) == CanonicalJSON.string(expected))
        let tau2: JSONValue = [
            "id": "5", "description": ["purpose": "p"], "annotations": ["k": 1],
            "user_scenario": [
                "persona": nil,
                "instructions": [
                    "domain": "airline", "reason_for_call": "r", "known_info": "k", "unknown_info": nil,
                    "task_instructions": "t",
                ],
            ],
            "initial_state": nil,
            "evaluation_criteria": [
                "actions": [
                    ["action_id": "5_0", "name": "get_user_details", "arguments": ["user_id": "u"], "info": nil]
                ], "communicate_info": [], "nl_assertions": ["n"],
            ],
        ]
        let imported = TaskImporter.fromTau2(tau2)
        let back = TaskImporter.tau2JSON(try ToolTask.parse(imported, file: nil, path: "$"))
        #expect(CanonicalJSON.string(back) == CanonicalJSON.string(imported))
        guard case .object(var o) = back, case .object(var c) = o["evaluation_criteria"],
            case .array(var actions) = c["actions"], case .object(var a0) = actions[0]
        else {
            Issue.record("shape")
            return
        }
        a0["requestor"] = nil
        actions[0] = .object(a0)
        c["actions"] = .array(actions)
        c["reward_basis"] = nil
        o["evaluation_criteria"] = .object(c)
        #expect(CanonicalJSON.string(.object(o)) == CanonicalJSON.string(tau2))
    }

    @Test("T17: canonical digests match golden hex (REAL 1.0 → 1, unicode, NULL, nested JSON key order)")
    func goldenDigest() throws {
        let c = try Connection(.memory)
        try c.execute(
            """
            CREATE TABLE t1(id INTEGER PRIMARY KEY, x REAL, s TEXT, j TEXT, n TEXT);
            CREATE TABLE a_table(k TEXT PRIMARY KEY, v INTEGER);
            INSERT INTO t1 VALUES(2, 2.5, 'tab\t', '[]', NULL);
            INSERT INTO t1 VALUES(1, 1.0, 'héllo "q"', '{"b":1,"a":[1.5,2.0]}', NULL);
            INSERT INTO a_table VALUES('z', 3), ('b', -1);
            """)
        let tables = [
            StateTable(name: "t1", primaryKey: ["id"], jsonColumns: ["j"]),
            StateTable(name: "a_table", primaryKey: ["k"]),
        ]
        let digest = try StateSnapshot.digest(c, tables: tables)
        #expect(digest.hex == "26ce898d2699c75fbf943d4a5f73e23397f3d7d22914168817ea0500283e7aae")
        #expect(digest.tables.map(\.name) == ["a_table", "t1"])
        #expect(digest.tables[0].hex == "5030a3fa7b3c127e3a1e615ee41747d37780ac68fee399508c1c8c8f9c084282")
    }

    @Test(
        "T18: fingerprint features are golden for fixed dialogues; Chamfer is 0 for equal clouds and known for two points"
    )
    func fingerprint() {
        #expect(BehaviourFingerprint.names.count == 19)
        let terse = BehaviourFingerprint.features(["refund pls", "INV-2042", "yes"])
        #expect(terse[0] == 4.0 / 3 && terse[2] == 1 && terse[13] == 1.0 / 3 && terse[14] == 2.0 / 3)
        let polite = BehaviourFingerprint.features([
            "Hi! Thanks so much, I'm sorry to bother you.", "Could you check my email dana@example.com?",
        ])
        #expect(
            polite[4] == 0.5 && polite[5] == 0.5 && polite[6] == 0.5 && polite[7] == 0.5 && polite[10] == 0.5
                && polite[12] == 0.5 && polite[18] == 0.5)
        let angry = BehaviourFingerprint.features(["This is RIDICULOUS... just fix it!"])
        #expect(angry[8] == 1 && angry[9] == 1 && angry[15] == 1 && angry[17] == 1)
        let p = [terse, polite]
        #expect(BehaviourFingerprint.chamfer(p, p) == 0)
        #expect(BehaviourFingerprint.chamfer([[0, 0]], [[3, 4], [0, 1]]) == 4)  // P→H: 1; H→P: (5 + 1) / 2
        #expect(abs(BehaviourFingerprint.dice(terse, terse) - 1) < 1e-12)
    }

    @Test("bad input names the file and the JSON path", arguments: ["schema", "tool", "seed"])
    func badInput(kind: String) throws {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("agora-bad-\(kind)-\(getpid())")
        try? fm.removeItem(at: dir)
        try fm.copyItem(at: SupportDesk.directory, to: dir)
        defer { try? fm.removeItem(at: dir) }
        func patch(_ file: String, _ change: (inout String) -> Void) throws {
            let url = dir.appendingPathComponent(file)
            var text = try String(contentsOf: url, encoding: .utf8)
            change(&text)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        switch kind {
        case "schema":
            try patch("tools/issue_refund.json") {
                $0 = $0.replacingOccurrences(of: "\"type\": \"integer\"", with: "\"type\": \"money\"")
            }
        case "tool":
            try patch("tasks.json") {
                $0 = $0.replacingOccurrences(of: "\"name\": \"change_plan\"", with: "\"name\": \"change_plan_now\"")
            }
        default:
            try patch("seed.json") {
                $0 = $0.replacingOccurrences(of: "\"amount_cents\": 4900", with: "\"amount_cents\": \"forty-nine\"")
            }
        }
        do {
            _ = try ToolDomain.load(dir)
            Issue.record("expected an error")
        } catch {
            let text = error.description
            switch kind {
            case "schema":
                #expect(
                    text.hasPrefix(
                        "tools/issue_refund.json: $.parameters.properties.amount_cents.type: invalid tool schema"))
            case "tool":
                #expect(
                    text.hasPrefix(
                        "tasks.json: $[3].evaluation_criteria.actions[1].name: unknown tool \"change_plan_now\""))
            default: #expect(text.hasPrefix("seed.json: $.invoices[0].amount_cents: column amount_cents is INTEGER"))
            }
        }
    }

    @Test(
        "calculate is a safe arithmetic parser",
        arguments: [
            ("2 * ((350 - 122) + (499 - 127))", "1200.0"), ("1/3", "0.33"), ("-(2+3)*2", "-10.0"), ("49*2", "98.0"),
        ])
    func calculator(expression: String, expected: String) throws {
        #expect(try Calculator.text(expression) == expected)
        #expect(throws: RunError.self) { try Calculator.text("__import__('os')") }
        #expect(throws: RunError.self) { try Calculator.text("1/0") }
        #expect(throws: RunError.self) { try Calculator.text("(1+2") }
    }
}
