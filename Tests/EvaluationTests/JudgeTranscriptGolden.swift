/// Golden judge prompts (evaluation.md §C.3): the omniscient transcript the judges read, numbered
/// by seq, the aside marked `(privately to …)`, addressees as `(to …)`, the thought absent.
enum JudgeTranscriptGolden {
    static let lineToLine = """
        Scenario: A therapy session.

        The transcript so far:
        [0] [Narrator] Phase 1: breakfast.
        [1] Ann (to Uma): Uma, what do you eat?
        [3] Uma: Porridge, always.
        [4] Bob (privately to Uma): Me too, honestly.
        [5] Uma: Toast on Sundays.

        The current line is [5], spoken by Uma. Uma's earlier lines are [3]. Does the current line clearly \
        contradict any of Uma's own earlier lines? In one sentence give your reasoning, then list the numbers of \
        the contradicted lines, taken only from [3] (an empty list when there is no clear contradiction).
        """

    static let promptToLineWithContext = """
        Scenario: A therapy session.

        The person: Uma.
        Persona:
        You are Uma, 41, a baker in Leeds.

        Role instructions:
        Answer as yourself.

        The conversation just before the line:
        [3] Uma: Porridge, always.
        [4] Bob (privately to Uma): Me too, honestly.

        The line to judge:
        [5] Uma: Toast on Sundays.

        In one sentence, say what the line means and whether it fits this person and role; then give the \
        verdict: "consistent" or "contradiction".
        """
}
