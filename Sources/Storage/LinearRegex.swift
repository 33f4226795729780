/// A regular expression for patterns that come from files Agora does not trust (task assertions,
/// scripted users): matched by a Pike VM over a Thompson NFA, in time linear in the text (times the
/// pattern's size), with no backtracking — `^(a|aa)+$` against a long text cannot hang a run.
///
/// The subset: literals and escapes (`\.`, `\n`, `\t`), `.`, classes (`[a-z]`, `[^…]`, `\d \w \s`
/// and their negations), anchors `^ $` (the whole text) and `\b \B`, groups `( )` and `(?: )`,
/// alternation `|`, quantifiers `* + ? {m} {m,} {m,n}` (lazy forms accepted: a yes/no match does not
/// depend on them), and a leading `(?i)` for case-insensitive matching. Backreferences, lookaround
/// and atomic groups are refused with an error that says so.
public struct LinearRegex: Sendable, Hashable {
    /// Why a pattern was refused.
    public struct SyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
        /// What is wrong, and where (a scalar offset).
        public var message: String
        /// `message`.
        public var description: String { message }
    }

    /// The pattern as written.
    public let pattern: String
    let program: [Instruction]
    let caseInsensitive: Bool

    /// The most instructions a pattern may compile to (counted repetitions expand).
    public static let maximumProgramSize = 20_000

    /// Compiles `pattern`.
    public init(_ pattern: String) throws(SyntaxError) {
        self.pattern = pattern
        var parser = Parser(Array(pattern.unicodeScalars))
        if parser.consume("(?i)") { caseInsensitive = true } else { caseInsensitive = false }
        let node = try parser.parseAlternation()
        guard parser.atEnd else { throw parser.error("unbalanced ')'") }
        var compiler = Compiler(caseInsensitive: caseInsensitive)
        try compiler.emit(node)
        compiler.program.append(.match)
        program = compiler.program
    }

    /// Whether the pattern matches somewhere in `text` (like `text.contains(regex)`).
    public func matches(in text: String) -> Bool {
        let scalars = Array((caseInsensitive ? text.lowercased() : text).unicodeScalars)
        var current = ThreadList(capacity: program.count)
        var next = ThreadList(capacity: program.count)
        for position in 0...scalars.count {
            // Unanchored search: a new thread starts at every position.
            if add(0, to: &current, at: position, in: scalars) { return true }
            guard position < scalars.count else { break }
            let scalar = scalars[position]
            next.clear()
            for pc in current.items {
                switch program[pc] {
                case .scalar(let set) where set.contains(scalar):
                    if add(pc + 1, to: &next, at: position + 1, in: scalars) { return true }
                case .any where scalar != "\n":
                    if add(pc + 1, to: &next, at: position + 1, in: scalars) { return true }
                default: break
                }
            }
            swap(&current, &next)
        }
        return false
    }

    /// Adds the thread at `pc` and everything reachable without consuming input; true on a match.
    private func add(_ pc: Int, to list: inout ThreadList, at position: Int, in text: [Unicode.Scalar]) -> Bool {
        var stack = [pc]
        while let pc = stack.popLast() {
            guard list.insert(pc) else { continue }
            switch program[pc] {
            case .match: return true
            case .jump(let target): stack.append(target)
            case .split(let first, let second):
                stack.append(second)
                stack.append(first)
            case .start: if position == 0 { stack.append(pc + 1) }
            case .end: if position == text.count { stack.append(pc + 1) }
            case .wordBoundary(let wanted):
                let before = position > 0 && CharacterSet.word.contains(text[position - 1])
                let after = position < text.count && CharacterSet.word.contains(text[position])
                if (before != after) == wanted { stack.append(pc + 1) }
            case .scalar, .any: list.keep(pc)
            }
        }
        return false
    }

    /// Equality by pattern.
    public static func == (a: LinearRegex, b: LinearRegex) -> Bool { a.pattern == b.pattern }
    /// Hash of the pattern.
    public func hash(into hasher: inout Hasher) { hasher.combine(pattern) }
}

extension LinearRegex {
    enum Instruction: Sendable {
        case scalar(CharacterSet)
        case any
        case split(Int, Int)
        case jump(Int)
        case start
        case end
        case wordBoundary(Bool)
        case match
    }

    /// The threads of one step: a sparse set of visited pcs and the pcs that wait for a scalar.
    struct ThreadList {
        private var seen: [Bool]
        private var visited: [Int] = []
        private(set) var items: [Int] = []

        init(capacity: Int) { seen = [Bool](repeating: false, count: capacity) }

        mutating func insert(_ pc: Int) -> Bool {
            if seen[pc] { return false }
            seen[pc] = true
            visited.append(pc)
            return true
        }

        mutating func keep(_ pc: Int) { items.append(pc) }

        mutating func clear() {
            for pc in visited { seen[pc] = false }
            visited.removeAll(keepingCapacity: true)
            items.removeAll(keepingCapacity: true)
        }
    }

    /// A set of scalars: ranges, optionally negated.
    struct CharacterSet: Sendable {
        var ranges: [ClosedRange<UInt32>]
        var negated = false

        func contains(_ scalar: Unicode.Scalar) -> Bool {
            ranges.contains { $0.contains(scalar.value) } != negated
        }

        static let digit = CharacterSet(ranges: [48...57])
        static let word = CharacterSet(ranges: [48...57, 65...90, 95...95, 97...122])
        static let space = CharacterSet(ranges: [9...13, 32...32])
    }
}
