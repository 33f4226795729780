import AgoraTesting
import Foundation
import Inference
import Storage
import Testing

@testable import Memory

@Suite struct MemListenerTests {
    let f = Fixtures.self

    func boTree() -> PersonaTree {
        var t = smallTree()
        t.apply([.add(path("preferences.food"), "pasta")], seq: 0)
        return t
    }

    @Test func structuredAnswerIsParsedAndAppliedStrictly() async throws {
        let model = ScriptedModel(replies: [
            #"{"ops":[{"op":"ADD","path":"preferences.design","value":"likes the new version"},{"op":"UPDATE","path":"identity.name","value":"Bob"},{"op":"ADD","path":"beliefsAbout.alex.opinion","value":"thinks it looks cheap"}]}"#
        ])
        var tree = boTree()
        let record = await MemListener(model: model).update(
            &tree, log: f.focusLog, viewer: f.bo, roster: f.focusRoster)
        #expect(record.wire == .structured)
        #expect(record.outcomes == [.created, .rejected(.locked), .created])
        #expect(record.toSeq == 10 && record.fromSeq == 0)
        #expect(tree.node(at: path("preferences.design"))?.updatedAt == 10)
        #expect(model.requests.count == 1)
        if case .jsonSchema(let name, _, _) = model.requests[0].responseFormat {
            #expect(name == "memory_ops")
        } else {
            Issue.record("expected a JSON-schema request")
        }
    }

    @Test func unparsableStructuredOutputFallsBackToTheLineGrammar() async throws {
        let model = ScriptedModel(replies: [
            "Sure! I think Bo likes it.", "still not JSON",
            "- ADD(preferences.design, \"likes version 2\")\nnot an op\nDELETE(identity)",
        ])
        var tree = boTree()
        let record = await MemListener(model: model).update(&tree, log: f.focusLog, viewer: f.bo, roster: f.focusRoster)
        #expect(record.wire == .lines)
        #expect(record.ops == [.add(path("preferences.design"), "likes version 2"), .delete(path("identity"))])
        #expect(record.outcomes == [.created, .rejected(.targetIsBranch)])
        #expect(record.parseErrors.map(\.line) == [2])
        #expect(record.raw.count == 1)
        #expect(model.requests.last?.messages.first?.content.contains("ADD(path, \"value\")") == true)
    }

    @Test func aFailingModelIsRecordedNeverThrown() async {
        let model = ScriptedModel(replies: [])
        var tree = boTree()
        let before = tree
        let record = await MemListener(model: model).update(&tree, log: f.focusLog, viewer: f.bo, roster: f.focusRoster)
        #expect(record.wire == .none && record.failure != nil && record.ops.isEmpty)
        #expect(tree == before)
        #expect(record.jsonValue["failure"] != nil)
    }

    /// M1: sentinels in events the viewer cannot see never reach the MemListener request.
    @Test func requestsCarryOnlyWhatTheViewerSaw() async throws {
        for seed in 0..<80 {
            let world = RandomWorld.make(seed: UInt64(seed) &+ 5_000)
            guard !world.log.isEmpty else { continue }
            for viewer in world.roster {
                let model = ScriptedModel(rule: { _ in #"{"ops":[{"op":"NO_OP","path":"","value":""}]}"# })
                var tree = smallTree()
                for range in MemListenerSchedule.chunks(log: world.log, viewer: viewer, sessionEnded: true) {
                    let chunk = world.log.filter { range.contains($0.seq) }
                    _ = await MemListener(model: model).update(
                        &tree, log: chunk, viewer: viewer.id, roster: world.roster)
                }
                let sent = model.requests.flatMap(\.messages).map(\.content).joined(separator: "\n")
                for e in world.log {
                    let visible = e.kind != .thought && referenceVisible(e, viewer, .fromJoin)
                    if !visible {
                        #expect(
                            !sent.contains(RandomWorld.sentinel(e.seq)),
                            "M1 seed \(seed) viewer \(viewer.id) seq \(e.seq)")
                    }
                }
                #expect(!sent.contains("⟦P-"), "no persona text is sent")
            }
        }
    }

    @Test func scheduleClosesAChunkEveryThreeOwnUtterances() {
        let a = ParticipantID(unchecked: "a")
        let b = ParticipantID(unchecked: "b")
        let roster = [Participant(id: a, displayName: "A"), Participant(id: b, displayName: "B")]
        var log: [Event] = []
        for i in 0..<14 { log.append(Event(seq: i, speaker: i % 2 == 0 ? b : a, kind: .utterance, content: "u\(i)")) }
        #expect(MemListenerSchedule.chunks(log: log, viewer: roster[0], sessionEnded: false) == [0...5, 6...11])
        #expect(
            MemListenerSchedule.chunks(log: log, viewer: roster[0], sessionEnded: true) == [0...5, 6...11, 12...13])
        #expect(MemListenerSchedule.chunks(log: log, viewer: roster[0], after: 11, sessionEnded: true) == [12...13])
    }

    @Test func chunkTextIsTheViewersView() throws {
        let text = try MemListener.chunkText(log: f.focusLog, viewer: f.chen, roster: f.focusRoster)
        #expect(
            text
                == "[Narrator] You joined.\nDana (to you): …\nYou (Chen): Version 2 is clearer.\n[Narrator] Ten minutes remain."
        )
    }
}

@Suite struct MemoryStoreTests {
    @Test func transcriptsTreesAndRecordsRoundTrip() throws {
        let db = try Connection(.memory)
        try MemoryStore.createTables(db)
        try MemoryStore.createTables(db)  // idempotent
        var t = try Transcript(roster: Fixtures.focusRoster, events: Array(Fixtures.focusLog.prefix(4)))
        try MemoryStore.save(t, id: "run1/group1", in: db)
        for e in Fixtures.focusLog.dropFirst(4) { try t.append(e) }
        try MemoryStore.save(t, id: "run1/group1", in: db)
        #expect(try MemoryStore.loadTranscript(id: "run1/group1", from: db) == t)
        #expect(try MemoryStore.loadTranscript(id: "missing", from: db) == nil)

        var tree = smallTree()
        tree.apply([.add(path("beliefsAbout.dana.role"), "moderator")], seq: 8)
        try MemoryStore.save(tree, owner: "bo", in: db)
        #expect(try MemoryStore.loadTree(owner: "bo", from: db) == tree)

        let record = MemListenerRecord(
            viewer: Fixtures.bo, fromSeq: 0, toSeq: 10, wire: .lines, raw: ["ADD(a.b, \"x\")"],
            ops: [.add(path("a.b"), "x")], outcomes: [.rejected(.trunkFixed)], parseErrors: [], failure: nil)
        try MemoryStore.save(record, owner: "bo", in: db)
        let stored = try MemoryStore.listenerRecords(owner: "bo", from: db)
        #expect(stored.count == 1)
        #expect(stored[0]["ops"]?[0]?["outcome"]?.stringValue == "rejected(trunkFixed)")
    }
}

@Suite struct MemListenerProjectedSeamTests {
    @Test func projectedMessagesBecomeTheSameChunkText() async throws {
        let f = Fixtures.self
        var config = ProjectionConfig()
        config.labelOthers = .always
        let messages = try project(log: f.focusLog, viewer: f.chen, roster: f.focusRoster, system: "", config: config)
        let text = MemListener.chunkText(messages: messages, viewerName: "Chen")
        #expect(text == (try MemListener.chunkText(log: f.focusLog, viewer: f.chen, roster: f.focusRoster)))
        let model = ScriptedModel(replies: [
            #"{"ops":[{"op":"ADD","path":"preferences.design","value":"prefers version 2"}]}"#
        ])
        var tree = smallTree()
        let record = await MemListener(model: model).update(
            &tree, chunk: messages, viewer: f.focusRoster[3], others: Array(f.focusRoster.prefix(3)), throughSeq: 10)
        #expect(record.outcomes == [.created] && record.fromSeq == 5 && record.toSeq == 10)
        #expect(model.requests[0].messages[1].content.contains("Dana (id dana), Alex (id alex), Bo (id bo)"))
    }
}
