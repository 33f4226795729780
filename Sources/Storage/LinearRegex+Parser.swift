extension LinearRegex {
    /// The pattern's syntax tree.
    indirect enum Node {
        case empty
        case set(CharacterSet)
        case any
        case start
        case end
        case boundary(Bool)
        case concatenation([Node])
        case alternation([Node])
        case repetition(Node, min: Int, max: Int?)
    }

    /// A recursive-descent parser of the supported subset.
    struct Parser {
        let scalars: [Unicode.Scalar]
        var position = 0
        var depth = 0

        init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

        var atEnd: Bool { position >= scalars.count }
        func peek(_ offset: Int = 0) -> Unicode.Scalar? {
            position + offset < scalars.count ? scalars[position + offset] : nil
        }

        func error(_ message: String) -> SyntaxError {
            SyntaxError(message: "\(message) at offset \(position) of the pattern")
        }

        mutating func consume(_ text: String) -> Bool {
            let wanted = Array(text.unicodeScalars)
            guard position + wanted.count <= scalars.count,
                Array(scalars[position..<(position + wanted.count)]) == wanted
            else { return false }
            position += wanted.count
            return true
        }

        mutating func parseAlternation() throws(SyntaxError) -> Node {
            depth += 1
            defer { depth -= 1 }
            guard depth <= 100 else { throw error("groups nested deeper than 100") }
            var branches = [try parseConcatenation()]
            while peek() == "|" {
                position += 1
                branches.append(try parseConcatenation())
            }
            return branches.count == 1 ? branches[0] : .alternation(branches)
        }

        mutating func parseConcatenation() throws(SyntaxError) -> Node {
            var items: [Node] = []
            while let c = peek(), c != "|", c != ")" {
                items.append(try parseRepetition())
            }
            return items.isEmpty ? .empty : (items.count == 1 ? items[0] : .concatenation(items))
        }

        mutating func parseRepetition() throws(SyntaxError) -> Node {
            var node = try parseAtom()
            while let c = peek() {
                var bounds: (Int, Int?)
                switch c {
                case "*": bounds = (0, nil)
                case "+": bounds = (1, nil)
                case "?": bounds = (0, 1)
                case "{":
                    guard let counted = try parseCount() else { return node }
                    bounds = counted
                default: return node
                }
                if c != "{" { position += 1 }
                if peek() == "?" { position += 1 }  // lazy: the same yes/no answer
                if peek() == "+" { throw error("possessive quantifiers are not supported") }
                node = .repetition(node, min: bounds.0, max: bounds.1)
            }
            return node
        }

        /// `{m}`, `{m,}` or `{m,n}`; `nil` (and nothing consumed) when `{` is a literal.
        mutating func parseCount() throws(SyntaxError) -> (Int, Int?)? {
            let start = position
            position += 1
            func number() -> Int? {
                var value = 0
                var digits = 0
                while let c = peek(), ("0"..."9").contains(c), digits < 6 {
                    value = value * 10 + Int(c.value - 48)
                    digits += 1
                    position += 1
                }
                return digits > 0 ? value : nil
            }
            guard let low = number() else {
                position = start
                return nil
            }
            var high: Int? = low
            if peek() == "," {
                position += 1
                high = number()
            }
            guard peek() == "}" else {
                position = start
                return nil
            }
            position += 1
            if let high, high < low { throw error("{\(low),\(high)}: the maximum is below the minimum") }
            guard (high ?? low) <= 1000 else { throw error("counted repetition over 1000") }
            return (low, high)
        }

        mutating func parseAtom() throws(SyntaxError) -> Node {
            guard let c = peek() else { throw error("unexpected end") }
            position += 1
            switch c {
            case ".": return .any
            case "^": return .start
            case "$": return .end
            case "[": return .set(try parseClass())
            case "\\": return try parseEscape(inClass: false)
            case "(":
                if peek() == "?" {
                    if consume("?:") {
                    } else if consume("?i)") {
                        throw error("(?i) is supported only at the start of the pattern")
                    } else {
                        throw error("lookaround, named and atomic groups are not supported")
                    }
                }
                let inner = try parseAlternation()
                guard peek() == ")" else { throw error("missing ')'") }
                position += 1
                return inner
            case "*", "+", "?": throw error("nothing to repeat before '\(c)'")
            default: return .set(CharacterSet(ranges: [c.value...c.value]))
            }
        }

        mutating func parseEscape(inClass: Bool) throws(SyntaxError) -> Node {
            guard let c = peek() else { throw error("a pattern cannot end with '\\'") }
            position += 1
            switch c {
            case "d": return .set(.digit)
            case "D": return .set(CharacterSet(ranges: CharacterSet.digit.ranges, negated: true))
            case "w": return .set(.word)
            case "W": return .set(CharacterSet(ranges: CharacterSet.word.ranges, negated: true))
            case "s": return .set(.space)
            case "S": return .set(CharacterSet(ranges: CharacterSet.space.ranges, negated: true))
            case "b" where !inClass: return .boundary(true)
            case "B" where !inClass: return .boundary(false)
            case "n": return .set(CharacterSet(ranges: [10...10]))
            case "t": return .set(CharacterSet(ranges: [9...9]))
            case "r": return .set(CharacterSet(ranges: [13...13]))
            case "1"..."9": throw error("backreferences are not supported")
            default:
                guard !c.properties.isAlphabetic else { throw error("unknown escape \\\(c)") }
                return .set(CharacterSet(ranges: [c.value...c.value]))
            }
        }

        mutating func parseClass() throws(SyntaxError) -> CharacterSet {
            var set = CharacterSet(ranges: [])
            if peek() == "^" {
                set.negated = true
                position += 1
            }
            var first = true
            while let c = peek(), c != "]" || first {
                first = false
                position += 1
                var low: UInt32
                if c == "\\" {
                    guard case .set(let escaped) = try parseEscape(inClass: true) else { continue }
                    if escaped.negated || escaped.ranges.count != 1 || escaped.ranges[0].count != 1 {
                        guard !escaped.negated else { throw error("negated classes inside [ ] are not supported") }
                        set.ranges += escaped.ranges
                        continue
                    }
                    low = escaped.ranges[0].lowerBound
                } else {
                    low = c.value
                }
                if peek() == "-", let next = peek(1), next != "]" {
                    position += 2
                    var high = next.value
                    if next == "\\" {
                        guard case .set(let escaped) = try parseEscape(inClass: true), escaped.ranges.count == 1,
                            escaped.ranges[0].count == 1
                        else { throw error("a class range must end in one character") }
                        high = escaped.ranges[0].lowerBound
                    }
                    guard high >= low else { throw error("class range out of order") }
                    set.ranges.append(low...high)
                } else {
                    set.ranges.append(low...low)
                }
            }
            guard peek() == "]" else { throw error("missing ']'") }
            position += 1
            return set
        }
    }

    /// Turns the tree into VM instructions.
    struct Compiler {
        let caseInsensitive: Bool
        var program: [Instruction] = []

        mutating func emit(_ node: Node) throws(SyntaxError) {
            guard program.count < LinearRegex.maximumProgramSize else {
                throw SyntaxError(message: "the pattern is too large (over \(LinearRegex.maximumProgramSize) steps)")
            }
            switch node {
            case .empty: break
            case .set(let set): program.append(.scalar(caseInsensitive ? folded(set) : set))
            case .any: program.append(.any)
            case .start: program.append(.start)
            case .end: program.append(.end)
            case .boundary(let wanted): program.append(.wordBoundary(wanted))
            case .concatenation(let items): for item in items { try emit(item) }
            case .alternation(let branches):
                var jumps: [Int] = []
                for (index, branch) in branches.enumerated() {
                    if index < branches.count - 1 {
                        let split = program.count
                        program.append(.split(split + 1, 0))
                        try emit(branch)
                        jumps.append(program.count)
                        program.append(.jump(0))
                        program[split] = .split(split + 1, program.count)
                    } else {
                        try emit(branch)
                    }
                }
                for jump in jumps { program[jump] = .jump(program.count) }
            case .repetition(let inner, let min, let max):
                for _ in 0..<min { try emit(inner) }
                if let max {
                    for _ in min..<max {
                        let split = program.count
                        program.append(.split(split + 1, 0))
                        try emit(inner)
                        program[split] = .split(split + 1, program.count)
                    }
                } else {
                    let split = program.count
                    program.append(.split(split + 1, 0))
                    try emit(inner)
                    program.append(.jump(split))
                    program[split] = .split(split + 1, program.count)
                }
            }
        }

        /// A set matched against lowercased text: ASCII capitals in it also match their lowercase.
        func folded(_ set: CharacterSet) -> CharacterSet {
            var result = set
            for range in set.ranges {
                let low = max(range.lowerBound, 65)
                let high = min(range.upperBound, 90)
                if low <= high { result.ranges.append((low + 32)...(high + 32)) }
            }
            return result
        }
    }
}
