import Fidelity
import Foundation
import Runs
import Storage
import Testing

@Suite("Reference survey packages (spec §F.1): loading and precise errors")
struct ReferenceSurveyTests {
    @Test("the tiny package loads: weights, missing codes, codes outside the options")
    func loads() throws {
        let package = try TinyPackage()
        let survey = try ReferenceSurvey.load(package.folder.path)
        #expect(survey.count == 8)
        #expect(survey.weights == [1, 2, 1, 1.5, 1, 0.5, 1, 1])
        #expect(survey.answer(5, 0) == -1)  // "9" is a missing code
        #expect(survey.answer(1, 1) == 1)  // "d" is the second option of pet
        #expect(survey.attributeCodes[0] == ["r1", "20"])
        #expect(survey.context == "The year is 2000.")
    }

    @Test("the shipped ANES 1996 package loads: 944 respondents, 6 questions, 4 attributes")
    func anes() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let survey = try ReferenceSurvey.load(root.appendingPathComponent("Scenarios/benchmarks/anes1996").path)
        #expect(survey.count == 944)
        #expect(
            survey.questions.map(\.id) == [
                "party_id", "self_placement", "clinton_placement", "dole_placement", "tv_news_days", "vote",
            ])
        #expect(survey.attributes.count == 4)
        #expect(survey.respondentIDs.first == "r0001")
    }

    static func error(_ survey: JSONValue = TinyPackage.survey, csv: String = TinyPackage.csv) throws -> RunError? {
        let package = try TinyPackage(survey: survey, csv: csv)
        do {
            _ = try ReferenceSurvey.load(package.folder.path)
            return nil
        } catch {
            return error
        }
    }

    static func edit(_ change: (inout JSONObject) -> Void) -> JSONValue {
        var o = TinyPackage.survey.objectValue ?? JSONObject()
        change(&o)
        return .object(o)
    }

    static func question(_ i: Int, _ change: (inout JSONObject) -> Void) -> JSONValue {
        edit { root in
            var questions = root["questions"]?.arrayValue ?? []
            var q = questions[i].objectValue ?? JSONObject()
            change(&q)
            questions[i] = .object(q)
            root["questions"] = .array(questions)
        }
    }

    @Test("an unknown column names survey.json, the JSON path and the CSV's columns")
    func unknownColumn() throws {
        let e = try #require(try Self.error(Self.question(1) { $0["column"] = "q3" }))
        #expect(e.code == .invalidInput)
        #expect(e.file?.hasSuffix("survey.json") == true)
        #expect(e.path == "$.questions[1].column")
        #expect(e.message == "unknown column \"q3\": respondents.csv has id, age, w, q1, q2; fix the column name")
    }

    @Test("a duplicate question id")
    func duplicateID() throws {
        let e = try #require(try Self.error(Self.question(1) { $0["id"] = "mood" }))
        #expect(e.path == "$.questions[1].id")
        #expect(e.message.hasPrefix("duplicate question id \"mood\" (also at $.questions[0])"))
    }

    @Test("a duplicate respondent id names the CSV line and column")
    func duplicateRespondent() throws {
        let e = try #require(try Self.error(csv: "id,age,w,q1,q2\nr1,20,1,1,c\nr1,30,1,2,d\n"))
        #expect(e.file?.hasSuffix("respondents.csv") == true)
        #expect(e.path == "line 3, column 1")
        #expect(e.message == "duplicate respondent id \"r1\" (also on line 2); ids must be unique")
    }

    @Test("a repeated option code")
    func repeatedCode() throws {
        let e = try #require(
            try Self.error(
                Self.question(1) { $0["options"] = [["code": "c", "label": "cat"], ["code": "c", "label": "dog"]] }))
        #expect(e.path == "$.questions[1].options[1].code")
        #expect(e.message == "option code \"c\" is repeated; each option needs its own code")
    }

    @Test("a weight ≤ 0", arguments: ["0", "-1", "x"])
    func badWeight(_ weight: String) throws {
        let e = try #require(try Self.error(csv: "id,age,w,q1,q2\nr1,20,1,1,c\nr2,30,\(weight),2,d\n"))
        #expect(e.path == "line 3, column 3")
        #expect(e.message.hasPrefix("weight \"\(weight)\" is not a positive number; design weights must be > 0"))
    }

    @Test("a question with fewer than 2 options")
    func oneOption() throws {
        let e = try #require(try Self.error(Self.question(0) { $0["options"] = [["code": "1", "label": "bad"]] }))
        #expect(e.path == "$.questions[0].options")
        #expect(e.message == "a question needs at least 2 options, found 1; add the options")
    }

    @Test("a ragged CSV row names its line")
    func ragged() throws {
        let e = try #require(try Self.error(csv: "id,age,w,q1,q2\nr1,20,1,1,c\nr2,30,1,2\n"))
        #expect(e.path == "line 3, column 4")
        #expect(e.message.hasPrefix("this row has 4 cells but the header has 5"))
    }

    @Test(
        "bad quoting names its line and column",
        arguments: [
            ("id,age,w,q1,q2\nr1,20,1,1,c\nr2,3\"0,1,2,d\n", "line 3, column 5"),
            ("id,age,w,q1,q2\nr1,20,1,1,c\nr2,\"30\"x,1,2,d\n", "line 3, column 8"),
            ("id,age,w,q1,q2\nr1,20,1,1,c\nr2,\"30,1,2,d\n", "line 3, column 4"),
        ])
    func badQuoting(_ csv: String, _ path: String) throws {
        let e = try #require(try Self.error(csv: csv))
        #expect(e.path == path)
        #expect(e.file?.hasSuffix("respondents.csv") == true)
    }

    @Test("quoted fields with commas, quotes and line breaks are read as one cell")
    func quoting() throws {
        let table = try CSVTable.parse("a,b\n\"x, \"\"y\"\"\",\"two\nlines\"\r\n3,4\n", file: nil)
        #expect(table.rows == [["x, \"y\"", "two\nlines"], ["3", "4"]])
        #expect(table.lines == [2, 4])
    }
}
