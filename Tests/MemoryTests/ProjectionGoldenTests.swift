import Inference
import Testing

@testable import Memory

@Suite struct ProjectionGoldenTests {
    let f = Fixtures.self

    func view(_ id: ParticipantID, _ config: ProjectionConfig = ProjectionConfig()) throws -> [String] {
        pairs(try project(log: f.focusLog, viewer: id, roster: f.focusRoster, system: "SYS", config: config))
    }

    @Test func boSeesTheAsideButNotHerThoughtOrDanasTool() throws {
        #expect(
            try view(f.bo) == [
                "system: SYS",
                "user: [Narrator] The conversation begins.\n\nDana: Welcome…\n\nAlex (to Dana): It looks cheap to me.\n\nAlex (privately to you): Bo, between us, …",
                "assistant: I like it, honestly.",
                "user: [Narrator] Chen joined.\n\nDana (to Chen): …\n\nChen: Version 2 is clearer.\n\n[Narrator] Ten minutes remain.",
            ])
    }

    @Test func chenSeesOnlyWhatHappenedAfterJoining() throws {
        #expect(
            try view(f.chen) == [
                "system: SYS",
                "user: [Narrator] The conversation begins.\n\n[Narrator] You joined.\n\nDana (to you): …",
                "assistant: Version 2 is clearer.",
                "user: [Narrator] Ten minutes remain.",
            ])
    }

    @Test func danaSeesHerToolCallAndResult() throws {
        #expect(
            try view(f.dana) == [
                "system: SYS",
                "user: [Narrator] The conversation begins.",
                "assistant: Welcome…",
                "user: Alex (to you): It looks cheap to me.\n\nBo: I like it, honestly.\n\n[Narrator] Chen joined.",
                "assistant:  [call call_1 show_card {\"card\":2}]",
                "tool: Card 2 is on screen. [answers call_1]",
                "assistant: …",
                "user: Chen: Version 2 is clearer.\n\n[Narrator] Ten minutes remain.",
            ])
    }

    @Test func alexSeesHisOwnAsideMarked() throws {
        #expect(
            try view(f.alex) == [
                "system: SYS",
                "user: [Narrator] The conversation begins.\n\nDana: Welcome…",
                "assistant: It looks cheap to me.\n\n(privately to Bo) Bo, between us, …",
                "user: Bo: I like it, honestly.\n\n[Narrator] Chen joined.\n\nDana (to Chen): …\n\nChen: Version 2 is clearer.\n\n[Narrator] Ten minutes remain.",
            ])
    }

    @Test func theObserverSeesThePublicFlowOnly() throws {
        #expect(
            try view(f.observer) == [
                "system: SYS",
                "user: [Narrator] The conversation begins.\n\nDana: Welcome…\n\nAlex (to Dana): It looks cheap to me.\n\nBo: I like it, honestly.\n\n[Narrator] Chen joined.\n\nDana (to Chen): …\n\nChen: Version 2 is clearer.\n\n[Narrator] Ten minutes remain.",
            ])
    }

    @Test func sourcesTrackTheMergedEvents() throws {
        let p = try project(log: f.focusLog, viewer: f.bo, roster: f.focusRoster, system: "SYS")
        #expect(p.map(\.sources) == [[], [0, 1, 2], [4], [5, 8, 9, 10]])
    }

    @Test func fullBacklogShowsChenThePublicTalkButNotTheAside() throws {
        var config = ProjectionConfig()
        config.backlog = .full
        #expect(
            try view(f.chen, config) == [
                "system: SYS",
                "user: [Narrator] The conversation begins.\n\nDana: Welcome…\n\nAlex (to Dana): It looks cheap to me.\n\nBo: I like it, honestly.\n\n[Narrator] You joined.\n\nDana (to you): …",
                "assistant: Version 2 is clearer.",
                "user: [Narrator] Ten minutes remain.",
            ])
    }

    @Test func twoPartyProjectionUsesRolesWithoutLabels() throws {
        let client = try project(
            log: f.twoPartyLog, viewer: f.client, roster: f.twoPartyRoster, system: "You are Maria.")
        #expect(
            pairs(client) == [
                "system: You are Maria.",
                "user: [Narrator] The conversation begins.",
                "assistant: Hi, my router keeps dropping the connection.",
                "user: Sorry to hear that. Since when?",
                "assistant: Since Monday.",
                "user: [Narrator] It is your turn to speak.",
            ])
        let responder = try project(
            log: f.twoPartyLog, viewer: f.responder, roster: f.twoPartyRoster, system: "You are a support agent.")
        #expect(
            pairs(responder) == [
                "system: You are a support agent.",
                "user: [Narrator] The conversation begins.\n\nHi, my router keeps dropping the connection.",
                "assistant: Sorry to hear that. Since when?",
                "user: Since Monday.",
            ])
        var strict = ProjectionConfig()
        strict.kickoff = .whenNeeded
        let strictResponder = try project(
            log: f.twoPartyLog, viewer: f.responder, roster: f.twoPartyRoster, system: "", config: strict)
        #expect(
            pairs(strictResponder) == [
                "user: Hi, my router keeps dropping the connection.",
                "assistant: Sorry to hear that. Since when?",
                "user: Since Monday.",
            ])
    }

    @Test func emptyLogGivesSystemAndKickoff() throws {
        let p = try project(log: [], viewer: f.bo, roster: f.focusRoster, system: "SYS")
        #expect(pairs(p) == ["system: SYS", "user: [Narrator] The conversation begins."])
    }

    @Test func baselinesRenderTheWholeHistoryOrFixedRoles() throws {
        var concat = ProjectionConfig()
        concat.mode = .concatTranscript
        #expect(
            try pairs(
                project(log: f.twoPartyLog, viewer: f.responder, roster: f.twoPartyRoster, system: "S", config: concat))
                == [
                    "system: S",
                    "user: [Narrator] The conversation begins.\n\nMaria: Hi, my router keeps dropping the connection.\nAgent: Sorry to hear that. Since when?\nMaria: Since Monday.",
                ])
        var fixed = ProjectionConfig()
        fixed.mode = .fixedRoles
        let a = try project(
            log: f.twoPartyLog, viewer: f.responder, roster: f.twoPartyRoster, system: "", config: fixed)
        let b = try project(log: f.twoPartyLog, viewer: f.client, roster: f.twoPartyRoster, system: "", config: fixed)
        #expect(a == b)
        #expect(
            pairs(a) == [
                "user: [Narrator] The conversation begins.\n\nHi, my router keeps dropping the connection.",
                "assistant: Sorry to hear that. Since when?",
                "user: Since Monday.",
            ])
    }

    @Test func actionJSONRendersOwnTurnsAsActions() throws {
        var config = ProjectionConfig()
        config.ownTurnFormat = .actionJSON
        let p = try view(f.alex, config)
        #expect(
            p[2]
                == "assistant: {\"action\":\"speak\",\"to\":[\"Dana\"],\"content\":\"It looks cheap to me.\"}\n\n{\"action\":\"speak\",\"privatelyTo\":[\"Bo\"],\"content\":\"Bo, between us, …\"}"
        )
    }

    @Test func rosterLineNamesWhoIsPresentAndWhoJoinsLater() {
        #expect(
            ProjectionText.rosterLine(for: f.bo, roster: f.focusRoster)
                == "You are Bo. Also present: Dana (moderator), Alex; Chen joins later.")
    }
}

@Suite struct ProjectionErrorTests {
    let f = Fixtures.self

    @Test func unknownParticipantThrows() {
        let log = [Event(seq: 0, speaker: ParticipantID(unchecked: "zed"), kind: .utterance, content: "hi")]
        #expect {
            try project(log: log, viewer: f.bo, roster: f.focusRoster, system: "")
        } throws: { ($0 as? MemoryError)?.code == .unknownParticipant }
        #expect {
            try project(log: [], viewer: ParticipantID(unchecked: "zed"), roster: f.focusRoster, system: "")
        } throws: { ($0 as? MemoryError)?.code == .unknownParticipant }
    }

    @Test func nonMonotonicSeqThrows() {
        let log = [
            Event(seq: 1, speaker: f.alex, kind: .utterance, content: "a"),
            Event(seq: 1, speaker: f.bo, kind: .utterance, content: "b"),
        ]
        #expect {
            try project(log: log, viewer: f.bo, roster: f.focusRoster, system: "")
        } throws: { ($0 as? MemoryError)?.code == .nonMonotonicSequence }
    }

    @Test func orphanToolResultThrows() {
        let log = [
            Event(seq: 0, speaker: f.dana, kind: .utterance, content: "a"),
            Event(
                seq: 1, speaker: nil, kind: .toolResult, content: "r",
                tool: ToolPayload(callID: "x", name: "t", caller: f.dana, arguments: "")),
        ]
        #expect {
            try project(log: log, viewer: f.dana, roster: f.focusRoster, system: "")
        } throws: { ($0 as? MemoryError)?.code == .orphanToolResult }
    }

    @Test func transcriptAppendChecksIntegrity() throws {
        var t = try Transcript(roster: f.focusRoster)
        try t.append(speaker: f.dana, kind: .utterance, content: "hi")
        #expect { try t.append(Event(seq: 3, speaker: f.bo, kind: .utterance, content: "gap")) } throws: {
            ($0 as? MemoryError)?.code == .nonMonotonicSequence
        }
        #expect { try t.append(speaker: ParticipantID(unchecked: "zed"), kind: .utterance, content: "x") } throws: {
            ($0 as? MemoryError)?.code == .unknownParticipant
        }
        #expect {
            try t.append(
                speaker: nil, kind: .toolResult, content: "r",
                tool: ToolPayload(callID: "c", name: "t", caller: f.dana, arguments: ""))
        } throws: { ($0 as? MemoryError)?.code == .orphanToolResult }
        for e in f.focusLog.dropFirst() { try t.append(e) }
        #expect(t.events.count == f.focusLog.count)
    }
}

@Suite struct ProjectionWindowTests {
    @Test func windowsKeepBothEndsAndToolPairsAndStillProject() throws {
        for seed in 0..<300 {
            let world = RandomWorld.make(seed: UInt64(seed) &+ 31_337)
            for viewer in world.roster {
                let window = ProjectionWindow.apply(world.log, viewer: viewer, first: 2, last: 3)
                let p = try project(log: window, viewer: viewer.id, roster: world.roster, system: "S")
                #expect(p.first?.role == .system && p.count >= 2)
                let visible = world.log.filter { referenceVisible($0, viewer, .fromJoin) }
                if visible.count <= 5 { #expect(window == visible) }
                #expect(Array(window.suffix(3)).allSatisfy { e in visible.suffix(4).contains(e) })
            }
        }
    }
}
