import Agents
import Inference
import Storage
import Testing

@Suite("AgentAction")
struct ActionProtocolTests {
    @Test(
        "every action round-trips through its wire form",
        arguments: [
            AgentAction.speak(content: "Hi", to: ["Bo"], isPrivate: true), .think(content: "hmm"), .pass,
            .leave(content: "Bye"), .callTool(name: "lookup", arguments: ["id": 3], content: ""),
        ])
    func roundTrip(_ action: AgentAction) throws {
        #expect(try AgentAction(json: action.json) == action)
    }

    @Test("the wire form keeps protocol key order")
    func keyOrder() {
        let text = AgentAction.speak(content: "Hi", to: [], isPrivate: false).json.serialized()
        #expect(text == #"{"action":"speak","to":[],"private":false,"content":"Hi"}"#)
    }

    @Test("missing optional fields default, unknown actions throw")
    func decoding() throws {
        #expect(
            try AgentAction(json: ["action": "speak", "content": "Hi"])
                == .speak(content: "Hi", to: [], isPrivate: false))
        #expect(throws: AgentError.self) { try AgentAction(json: ["action": "dance"]) }
        #expect(throws: AgentError.self) { try AgentAction(json: ["action": "call_tool"]) }
        #expect(throws: AgentError.self) { try AgentAction(json: "speak") }
    }

    @Test("the schema accepts actions and rejects other shapes; tools add call_tool")
    func schema() {
        let schema = AgentAction.schema()
        #expect(SchemaValidator.validate(AgentAction.pass.json, against: schema).isEmpty)
        #expect(
            !SchemaValidator.validate(["action": "shout", "to": [], "private": false, "content": ""], against: schema)
                .isEmpty)
        #expect(!SchemaValidator.validate(["action": "speak"], against: schema).isEmpty)
        let tools = [ToolDefinition(name: "lookup", description: "Find an order", parameters: ["type": "object"])]
        let withTools = AgentAction.schema(tools: tools)
        let call = AgentAction.callTool(name: "lookup", arguments: ["id": 3], content: "").json
        #expect(SchemaValidator.validate(call, against: withTools).isEmpty)
        #expect(!SchemaValidator.validate(call, against: schema).isEmpty)
    }
}
