import Foundation
import Population
public import Runs
import Storage

/// Survey outputs written from the run store page by page (``UnitRecordStream``), so a survey of a
/// million respondents writes `transcripts.jsonl`, `responses.csv`, `results.json` and
/// `report.html` holding one page of units at a time (docs/scaling.md "Bounded memory"). The bytes
/// are those of ``ScenarioRunKind/outputs(_:results:)``: both paths share the aggregation
/// (``SurveyAggregator``) and the line builders.
extension ScenarioRunKind: StreamingOutputs {
    /// A survey's respondent: the one persona its unit names.
    public func personaIDs(for unit: UnitSpec) -> [String]? {
        guard scenario.kind == .survey, let id = unit.input["persona"]?.stringValue else { return nil }
        return [id]
    }

    /// Streams a survey's outputs; `nil` for conversations and for evaluated runs (their
    /// consistency documents refer back to every unit), which the engine builds from the whole data.
    public func streamOutputs(_ store: RunStore) async throws -> StreamedOutputs? {
        try await streamOutputs(store, pageSize: UnitRecordStream.defaultPageSize)
    }

    /// Streams a survey's outputs reading `pageSize` units (and personas) at a time.
    func streamOutputs(_ store: RunStore, pageSize: Int) async throws -> StreamedOutputs? {
        guard scenario.kind == .survey, let survey = scenario.survey, try await store.documents().isEmpty else {
            return nil
        }
        let manifest = try await store.manifest()
        let directory = store.directory
        // The population section reads every persona once, on the other core, beside passes 1 and 2.
        async let population = Self.populationSummary(store, pageSize: pageSize)

        // Pass 1: results.json's figures, and the CSV's attribute columns.
        var aggregator = SurveyAggregator(scenario, survey: survey)
        try await UnitRecordStream(store, withEvents: SurveyQuality.needsEvents(survey), pageSize: pageSize).forEachPage
        { page in
            let personas = try await Self.personas(of: page.units.filter { $0.status == .done }, in: store, manifest)
            for unit in page.units {
                aggregator.add(
                    unit, persona: personas[unit.spec.input["persona"]?.stringValue ?? ""],
                    events: page.events[unit.spec.index] ?? [])
            }
        }
        let usage = RunReport.usage(try await store.usage(), manifest: manifest)
        let results = aggregator.results(manifest, usage: usage)

        // Pass 2: one line per done respondent into transcripts.jsonl and responses.csv.
        let transcripts = try OutputFileWriter("transcripts.jsonl", in: directory)
        let csv = try OutputFileWriter("responses.csv", in: directory)
        try csv.write(ScenarioReport.csvHeader(survey, attributeKeys: aggregator.attributeKeys) + "\n")
        var shown: [(UnitRecord, [RunEvent])] = []
        let role = { (speaker: String) in
            speaker == SurveyRespondent.interviewerID ? "interviewer" : "respondent"
        }
        try await UnitRecordStream(store, status: .done, withEvents: true, pageSize: pageSize).forEachPage { page in
            let personas = try await Self.personas(of: page.units, in: store, manifest)
            var bytes: [UInt8] = []
            for unit in page.units {
                let events = page.events[unit.spec.index] ?? []
                RunReport.transcriptLine(
                    unit, events: events, manifest: manifest, isPersona: { personas[$0] != nil }, role: role,
                    into: &bytes)
                let id = unit.spec.input["persona"]?.stringValue ?? unit.spec.id
                try csv.write(
                    ScenarioReport.csvRow(
                        unit, persona: personas[id], survey: survey, attributeKeys: aggregator.attributeKeys) + "\n")
                if shown.count < HTMLReport.transcriptLimit { shown.append((unit, events)) }
            }
            try transcripts.write(bytes)
        }
        try transcripts.finish()
        try csv.finish()

        let resultsFile = try OutputFileWriter("results.json", in: directory)
        try resultsFile.write(results.serialized(pretty: true) + "\n")
        try resultsFile.finish()
        let report = try OutputFileWriter("report.html", in: directory)
        try report.write(
            ScenarioReport.html(
                manifest, results: results, population: try await population.html(), consistency: "",
                transcripts: HTMLReport.transcriptSection(shown, doneCount: aggregator.counts.done)))
        try report.finish()
        return StreamedOutputs(
            results: results, files: [transcripts.url, csv.url, resultsFile.url, report.url],
            itemFailures: aggregator.failures, lines: [])
    }

    /// The population section's figures: every stored persona, one page at a time.
    static func populationSummary(_ store: RunStore, pageSize: Int) async throws -> PopulationSummary {
        var population = PopulationSummary(count: try await store.personaCount())
        var after = -1
        while true {
            let page = try await store.personas(after: after, limit: pageSize)
            guard let last = page.last else { return population }
            for entry in page { population.add(entry.persona.json) }
            after = last.position
        }
    }

    /// The decoded personas that `units` name (and the speakers of their transcripts), by id.
    static func personas(of units: [UnitRecord], in store: RunStore, _ manifest: RunManifest) async throws
        -> [String: Persona]
    {
        var ids = units.map { $0.spec.input["persona"]?.stringValue ?? $0.spec.id }
        ids.append(SurveyRespondent.interviewerID)
        var personas: [String: Persona] = [:]
        for stored in try await store.personas(ids: ids) {
            do {
                personas[stored.id] = try Persona(
                    json: stored.json, file: manifest.runID, path: "personas[\(stored.id)]")
            } catch {
                throw RunError(error, code: .runStore)
            }
        }
        return personas
    }
}
