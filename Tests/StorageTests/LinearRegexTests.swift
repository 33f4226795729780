import Foundation
import Storage
import Testing

@Suite("LinearRegex: a linear-time matcher for untrusted patterns")
struct LinearRegexTests {
    static let patterns = [
        "(?i)30 days", "(?i)already (been )?refunded", "(?i)not (been |yet )?paid", "(?i)exceeds|more than",
        "(?i)(cannot|can't) (close|delete)", "(?i)original (payment method|card)", "^abc$", "a.c", "colou?r",
        "\\d{3}-\\d{4}", "[A-Z][a-z]+", "[^aeiou ]{4,}", "\\bcat\\b", "\\Bcat", "x*", "(ab)+c", "a{2,3}b", "a{2,}",
        "(?:foo|bar)baz", "\\$\\d+\\.\\d\\d", "[\\w.-]+@[\\w-]+\\.\\w+", "\\s+end$", "^$", "a|", "(a|b)*abb",
        "[a\\-z]", "(?i)[A-C]+", "ends\\.", "\\W",
    ]
    static let texts = [
        "", "abc", "Refunds within 30 DAYS.", "It has already been refunded", "not yet paid", "That exceeds it",
        "I can't close it", "the ORIGINAL CARD", "color", "colour", "call 555-1234 now", "Hello World", "rhythms",
        "a cat sat", "concat", "ababc", "aab aaab", "aaaa", "foobaz barbaz", "$12.50", "me@example.com",
        "the   end", "a-b", "ABCabc", "no match here!", "ends.", "aabb abb",
    ]

    @Test("agrees with Swift Regex on every pattern of the supported subset and every text")
    func agreesWithSwiftRegex() throws {
        for pattern in Self.patterns {
            let linear = try LinearRegex(pattern)
            let reference = try Regex(pattern)
            for text in Self.texts {
                #expect(linear.matches(in: text) == text.contains(reference), "\(pattern) on \(text)")
            }
        }
    }

    @Test("catastrophic patterns run in linear time", .timeLimit(.minutes(1)))
    func noBacktracking() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let text = String(repeating: "a", count: 20_000) + "!"
        #expect(try LinearRegex("^(a|aa)+$").matches(in: text) == false)
        #expect(try LinearRegex("(a*)*b").matches(in: text) == false)
        #expect(try LinearRegex("^(a+)+$").matches(in: String(repeating: "a", count: 20_000)))
        #expect(clock.now - start < .seconds(10))
    }

    @Test(
        "what cannot be matched in linear time is refused with a reason",
        arguments: [
            ("(a)\\1", "backreferences"), ("a(?=b)", "lookaround"), ("(?>a)", "atomic"), ("a++", "possessive"),
            ("a{5,2}", "below the minimum"), ("a{2000}", "over 1000"), ("(a", "missing ')'"), ("a)", "unbalanced"),
            ("[a", "missing ']'"), ("*a", "nothing to repeat"), ("\\q", "unknown escape"),
            ("x(?i)y", "only at the start"), ("((a{1000}){1000})", "too large"),
        ])
    func refusals(pattern: String, reason: String) {
        do {
            _ = try LinearRegex(pattern)
            Issue.record("\(pattern) was accepted")
        } catch {
            #expect(error.message.contains(reason), "\(pattern): \(error.message)")
        }
    }
}
