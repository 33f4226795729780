public import Evaluation
public import Runs

/// An experiment whose base is a conversation kind (interview, focus group, brainstorm, tool tasks)
/// is judged arm by arm: `agora evaluate` on the ECP-vs-CONCAT ablation scores both arms in one
/// pass, and `agora compare` splits the scores back by arm.
extension ExperimentRunKind: ConversationSource {
    /// The base scenario's `evaluation` section (every arm has the same one unless a patch changes it).
    public var evaluation: EvaluationSettings? { (arms.first as? any ConversationSource)?.evaluation }

    /// Every arm's conversations, rebuilt by the arm's own kind from its units, then named as the
    /// experiment names them: unit `ARM/unit` (with two arms or more), the experiment's unit index,
    /// and the arm's name as the condition (so the summary aggregates each arm on its own); in
    /// experiment unit order.
    ///
    /// - Throws: ``EvaluationError`` when the base kind has no conversations (a survey).
    public func conversations(_ data: RunData) throws -> [JudgedConversation] {
        var experimentUnit: [[Int: (index: Int, id: String)]] = Array(repeating: [:], count: arms.count)
        for unit in data.units {
            let (arm, spec) = Self.inner(unit.spec)
            guard experimentUnit.indices.contains(arm) else { continue }
            experimentUnit[arm][spec.index] = (unit.spec.index, unit.spec.id)
        }
        var all: [JudgedConversation] = []
        for a in arms.indices {
            guard let source = arms[a] as? any ConversationSource else {
                throw EvaluationError(
                    .invalidRun,
                    "this experiment's arms are \(arms[a].name) runs, which have no conversations to judge; evaluate an experiment of interviews, focus groups, brainstorms or tool tasks"
                )
            }
            let conversations: [JudgedConversation]
            do {
                conversations = try source.conversations(armData(data, a))
            } catch let error as EvaluationError where error.code == .invalidRun {
                throw EvaluationError(.invalidRun, "this experiment's arms are \(arms[a].name) runs: \(error.message)")
            }
            for var conversation in conversations {
                guard let unit = experimentUnit[a][conversation.unitIndex] else { continue }
                conversation.unitIndex = unit.index
                conversation.unitID = unit.id
                conversation.condition = design.arms[a].name
                all.append(conversation)
            }
        }
        return all.sorted { $0.unitIndex < $1.unitIndex }
    }
}
