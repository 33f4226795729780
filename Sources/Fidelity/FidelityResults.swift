import Foundation
public import Storage

/// The `fidelity` part of results.json (spec §F.4) and the figures' names in it.
public enum FidelityResults {
    /// The per-question figure names, as written in results.json and fidelity.csv.
    public static let questionFigures: [(FigureLayout.QuestionFigure, String)] = [
        (.tvd, "tvd"), (.simbench, "simbench"), (.ordinalSimilarity, "ordinalSimilarity"), (.accuracy, "accuracy"),
        (.ordinalError, "ordinalError"),
    ]

    /// The overall figures of one cell.
    static func overall(_ e: FidelityEstimates, cell: Int) -> JSONValue {
        [
            "n": .integer(
                Int64(e.cellN.isEmpty ? e.n[e.layout.index(cell: cell, .representativeness)] : e.cellN[cell])),
            "representativeness": [
                "ordinal": e.estimate(cell: cell, .representativenessOrdinal).json,
                "nominal": e.estimate(cell: cell, .representativenessNominal).json,
                "all": e.estimate(cell: cell, .representativeness).json,
            ],
            "tvd": e.estimate(cell: cell, .tvd).json,
            "simbench": e.estimate(cell: cell, .simbench).json,
            "accuracy": e.estimate(cell: cell, .accuracy).json,
            "ordinalError": e.estimate(cell: cell, .ordinalError).json,
        ]
    }

    static func questionFigures(_ e: FidelityEstimates, cell: Int, question j: Int, into o: inout JSONObject) {
        for (figure, name) in questionFigures { o[name] = e.estimate(cell: cell, question: j, figure).json }
    }

    static func shares(_ x: [Double]?) -> JSONValue {
        guard let x else { return .null }
        return .array(x.map { FidelityJSON.number($0) })
    }

    /// The whole `fidelity` object. `simulated` is nil for `agora fidelity baseline` (reference points only).
    public static func json(
        subject: FidelitySubject, simulated: FidelityEstimates?, failed: [Int]?, pattern: PatternCorrespondence?,
        references: [(name: String, estimates: FidelityEstimates)], settings: FidelitySettings, sampling: JSONObject
    ) -> JSONValue {
        let survey = subject.survey
        let human = references.first?.estimates
        var questions: [JSONValue] = []
        for (j, qi) in subject.scored.enumerated() {
            let question = survey.questions[qi]
            var o = JSONObject([
                ("id", .string(question.id)), ("text", .string(question.text)),
                ("scale", .string(question.ordinal ? "ordinal" : "nominal")),
                ("options", .array(question.labels.map { .string($0) })),
                ("n", .integer(Int64(human?.humanN.first?[j] ?? 0))),
            ])
            if let simulated {
                o["simulatedN"] = .integer(Int64(simulated.simulatedN[0][j]))
                o["failed"] = .integer(Int64(failed?[j] ?? 0))
            }
            o["humanShares"] = shares(human?.humanShares.first?[j] ?? nil)
            if let simulated {
                o["simulatedShares"] = shares(simulated.simulatedShares[0][j])
                questionFigures(simulated, cell: 0, question: j, into: &o)
            }
            questions.append(.object(o))
        }
        var points = JSONObject()
        for (name, e) in references {
            var perQuestion: [JSONValue] = []
            for (j, qi) in subject.scored.enumerated() {
                var o = JSONObject([("id", .string(survey.questions[qi].id))])
                questionFigures(e, cell: 0, question: j, into: &o)
                perQuestion.append(.object(o))
            }
            points[name] = ["overall": overall(e, cell: 0), "questions": .array(perQuestion)]
        }
        var root = JSONObject([
            (
                "package",
                [
                    "id": .string(survey.id), "title": .string(survey.title), "source": .string(survey.source),
                    "licence": .string(survey.licence), "respondents": .integer(Int64(survey.count)),
                ]
            ),
            ("sampling", .object(sampling)),
            ("resamples", .integer(Int64(settings.resamples))),
            ("seed", .integer(Int64(bitPattern: settings.seed))),
            ("questions", .array(questions)),
        ])
        if let simulated { root["overall"] = overall(simulated, cell: 0) }
        root["referencePoints"] = .object(points)
        if let pattern {
            root["pattern"] = [
                "meanAbsoluteDifference": pattern.meanAbsoluteDifference.json,
                "correlation": pattern.correlation.json,
                "resamples": .integer(Int64(min(settings.resamples, settings.patternResamples))),
                "pairs": .array(
                    pattern.pairs.map { p in
                        [
                            "a": .string(survey.questions[subject.scored[p.a]].id),
                            "b": .string(survey.questions[subject.scored[p.b]].id),
                            "human": FidelityJSON.number(p.human), "simulated": FidelityJSON.number(p.simulated),
                        ]
                    }),
            ]
        }
        if let subjectEstimates = simulated ?? references.first(where: { $0.name == "demographic" })?.estimates {
            root["subgroups"] = subgroups(subject, subjectEstimates)
            if simulated == nil { root["subgroupsOf"] = "demographic" }
        }
        return .object(root)
    }

    /// Per attribute, per group: n, the overall figures, and every question's figures; the worst
    /// group's representativeness.
    static func subgroups(_ subject: FidelitySubject, _ e: FidelityEstimates) -> JSONValue {
        var attributes: [JSONValue] = []
        for (a, attribute) in subject.survey.attributes.enumerated() {
            var groups: [JSONValue] = []
            var worst: (label: String, value: Double, estimate: FigureEstimate)?
            for cell in subject.groups.attributeCells[a] {
                let label = subject.groups.cells[cell].label
                var o = JSONObject([("label", .string(label)), ("n", .integer(Int64(e.cellN[cell])))])
                o["overall"] = overall(e, cell: cell)
                var questions: [JSONValue] = []
                for (j, qi) in subject.scored.enumerated() {
                    var q = JSONObject([
                        ("id", .string(subject.survey.questions[qi].id)),
                        ("n", .integer(Int64(e.humanN[cell][j]))),
                        ("humanShares", shares(e.humanShares[cell][j])),
                        ("simulatedShares", shares(e.simulatedShares[cell][j])),
                    ])
                    questionFigures(e, cell: cell, question: j, into: &q)
                    questions.append(.object(q))
                }
                o["questions"] = .array(questions)
                groups.append(.object(o))
                let rep = e.estimate(cell: cell, .representativeness)
                if let value = rep.value, worst.map({ value < $0.value }) ?? true { worst = (label, value, rep) }
            }
            attributes.append([
                "attribute": .string(attribute.name), "groups": .array(groups),
                "worst": worst.map { ["label": .string($0.label), "representativeness": $0.estimate.json] } ?? .null,
            ])
        }
        return .array(attributes)
    }
}
