import Storage
import Testing

@Suite("JSON merge patch (RFC 7396)")
struct JSONMergePatchTests {
    /// The examples of RFC 7396 appendix A.
    @Test(
        "the RFC's appendix A examples",
        arguments: [
            (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
            (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
            (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
            (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
            (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
            (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
            (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
            (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
            (#"["a","b"]"#, #"["c","d"]"#, #"["c","d"]"#),
            (#"{"a":"b"}"#, #"["c"]"#, #"["c"]"#),
            (#"{"a":"foo"}"#, #"null"#, #"null"#),
            (#"{"a":"foo"}"#, #""bar""#, #""bar""#),
            (#"{"e":null}"#, #"{"a":1}"#, #"{"e":null,"a":1}"#),
            (#"[1,2]"#, #"{"a":"b","c":null}"#, #"{"a":"b"}"#),
            (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
        ])
    func appendix(original: String, patch: String, result: String) throws {
        let patched = try JSONValue.parse(original).mergePatched(with: try JSONValue.parse(patch))
        #expect(patched == (try JSONValue.parse(result)))
    }

    @Test("existing keys keep their place; new keys are appended")
    func order() throws {
        let patched = try JSONValue.parse(#"{"x":1,"y":{"p":1,"q":2},"z":3}"#)
            .mergePatched(with: try JSONValue.parse(#"{"y":{"p":9},"w":0}"#))
        #expect(patched.serialized() == #"{"x":1,"y":{"p":9,"q":2},"z":3,"w":0}"#)
    }
}
