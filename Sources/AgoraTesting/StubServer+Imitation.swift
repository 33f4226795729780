import Storage

extension StubServer {
    /// The OpenAI-compatible servers the stub can imitate: what each answers to discovery requests
    /// (`/v1/models`, llama.cpp's `/props`, Ollama's `/api/version` and `/api/show`), how each
    /// refuses a structured-output form or a prompt longer than its window, and how each shapes its
    /// errors, as their documentation and source describe them.
    public enum Imitation: String, Sendable, Hashable, CaseIterable {
        /// OpenAI's API: `json_schema` accepted (unless ``Configuration/rejectJSONSchema``), errors
        /// `{"error": {message, type, param, code}}`, `context_length_exceeded` on overflow.
        case openAI = "openai"
        /// llama-cpp-python's server: models `owned_by: "me"`, no `/props`; `json_schema` fails
        /// validation with HTTP 500 (`Input should be 'text' or 'json_object'`), `json_object` with a
        /// `schema` is grammar-enforced; overflow is a 400 `context_length_exceeded`.
        case llamaCppPython = "llama-cpp-python"
        /// llama.cpp's `llama-server`: models `owned_by: "llamacpp"`, `/props` with
        /// `default_generation_settings.n_ctx`; both `json_schema` and `json_object`+`schema`
        /// accepted; overflow is a 400 `exceed_context_size_error`.
        case llamaServer = "llama-server"
        /// vLLM: models `owned_by: "vllm"` with `max_model_len`; `json_schema` and `guided_json`
        /// accepted but not both at once; errors `{"object": "error", message, type, param, code}`.
        case vLLM = "vllm"
        /// Ollama: `/api/version`, `/api/show` (`num_ctx` in `parameters`, `model_info`); an unknown
        /// model is a 404 "not found, try pulling it first"; a long prompt is cut silently, never refused.
        case ollama

        /// The `owned_by` of the model list.
        var owner: String {
            switch self {
            case .openAI: "agora-stub"
            case .llamaCppPython: "me"
            case .llamaServer: "llamacpp"
            case .vLLM: "vllm"
            case .ollama: "library"
            }
        }

        /// The answer to a discovery request.
        func discoveryReply(to request: StubRequest, configuration: Configuration) -> StubReply {
            let window = configuration.contextWindow
            switch (request.endpoint, self) {
            case (.models, _):
                var model = JSONObject([
                    ("id", .string(configuration.modelName)), ("object", "model"), ("created", 0),
                    ("owned_by", .string(owner)),
                ])
                switch self {
                case .llamaCppPython: model["permissions"] = .array([])
                case .llamaServer: model["meta"] = .object(JSONObject([("n_ctx_train", 32_768), ("n_vocab", 49_152)]))
                case .vLLM:
                    model["root"] = .string(configuration.modelName)
                    model["parent"] = .null
                    model["max_model_len"] = .integer(Int64(window ?? 32_768))
                default: break
                }
                return Self.json(200, .object(JSONObject([("object", "list"), ("data", .array([.object(model)]))])))
            case (.props, .llamaServer):
                return Self.json(
                    200,
                    .object(
                        JSONObject([
                            (
                                "default_generation_settings",
                                .object(JSONObject([("n_ctx", .integer(Int64(window ?? 4096))), ("n_predict", -1)]))
                            ),
                            ("total_slots", 1), ("chat_template", "{{ messages }}"), ("build_info", "b0-stub"),
                        ])))
            case (.ollamaVersion, .ollama):
                return Self.json(200, .object(JSONObject([("version", "0.6.2")])))
            case (.ollamaShow, .ollama):
                let asked = request.json?["model"]?.stringValue ?? request.json?["name"]?.stringValue
                guard asked == configuration.modelName else {
                    return Self.json(404, .object(JSONObject([("error", .string("model '\(asked ?? "")' not found"))])))
                }
                return Self.json(
                    200,
                    .object(
                        JSONObject([
                            ("parameters", .string(window.map { "num_ctx                        \($0)" } ?? "")),
                            ("template", "{{ .Prompt }}"),
                            (
                                "details",
                                .object(
                                    JSONObject([("format", "gguf"), ("family", "llama"), ("parameter_size", "1.2B")]))
                            ),
                            (
                                "model_info",
                                .object(
                                    JSONObject([("general.architecture", "llama"), ("llama.context_length", 131_072)]))
                            ),
                        ])))
            default:
                return notFound(request)
            }
        }

        /// Each server's 404 for a path it does not have.
        func notFound(_ request: StubRequest) -> StubReply {
            switch self {
            case .openAI:
                return .raw(
                    status: 404, headers: [],
                    body: StubServer.errorBody(
                        status: 404, message: "Invalid URL (\(request.method) \(request.path))", code: "not_found"))
            case .llamaCppPython, .vLLM:
                return Self.json(404, .object(JSONObject([("detail", "Not Found")])))  // FastAPI's
            case .llamaServer:
                return Self.json(
                    404,
                    .object(
                        JSONObject([
                            (
                                "error",
                                .object(
                                    JSONObject([
                                        ("code", 404), ("message", "File Not Found"), ("type", "not_found_error"),
                                    ]))
                            )
                        ])))
            case .ollama:
                return .raw(
                    status: 404, headers: [("Content-Type", "text/plain")], body: Array("404 page not found".utf8))
            }
        }

        /// The server's refusal of a chat request (a structured-output form it rejects, a prompt over
        /// its window, a model it does not have), or `nil` when it would answer.
        func refusal(of request: StubRequest, contextWindow: Int?, modelName: String) -> StubReply? {
            guard request.endpoint == .chatCompletions, let json = request.json else { return nil }
            let format = json["response_format"]?["type"]?.stringValue
            let guided = json["guided_json"] != nil
            switch self {
            case .llamaCppPython where format == "json_schema":
                // As llama-cpp-python 0.3.36 answers it (seen 2026-12-05): a pydantic error and a traceback line.
                let detail =
                    "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema', 'ctx': {'expected': \"'text' or 'json_object'\"}}\n\n  File \"/venv/lib/python3.11/site-packages/llama_cpp/server/app.py\", line 376, in create_chat_completion\n    POST /v1/chat/completions"
                return Self.json(
                    500,
                    .object(
                        JSONObject([
                            (
                                "error",
                                .object(
                                    JSONObject([
                                        ("message", .string(detail)), ("type", "internal_server_error"),
                                        ("param", .null), ("code", .null),
                                    ]))
                            )
                        ])))
            case .vLLM where guided && format != nil && format != "text":
                return vLLMError(
                    400,
                    "You can only use one kind of guided decoding ('guided_json', 'guided_regex', 'guided_choice', 'guided_grammar' or 'response_format')."
                )
            case .ollama where json["model"]?.stringValue != modelName:
                let asked = json["model"]?.stringValue ?? ""
                return Self.json(
                    404,
                    .object(
                        JSONObject([
                            (
                                "error",
                                .object(
                                    JSONObject([
                                        ("message", .string("model \"\(asked)\" not found, try pulling it first")),
                                        ("type", "api_error"), ("param", .null), ("code", .null),
                                    ]))
                            )
                        ])))
            default: break
            }
            guard let window = contextWindow else { return nil }
            let prompt = StubServer.promptTokens(of: request)
            let completion = Int(json["max_tokens"]?.intValue ?? 0)
            switch self {
            case .openAI where prompt + completion > window:
                return .raw(
                    status: 400, headers: [],
                    body: Array(
                        JSONValue.object(
                            JSONObject([
                                (
                                    "error",
                                    .object(
                                        JSONObject([
                                            (
                                                "message",
                                                .string(
                                                    "This model's maximum context length is \(window) tokens. However, your messages resulted in \(prompt + completion) tokens. Please reduce the length of the messages."
                                                )
                                            ),
                                            ("type", "invalid_request_error"), ("param", "messages"),
                                            ("code", "context_length_exceeded"),
                                        ]))
                                )
                            ])
                        ).serialized().utf8))
            case .llamaCppPython where prompt + completion > window:
                let message =
                    "This model's maximum context length is \(window) tokens. However, you requested \(prompt + completion) tokens (\(prompt) in the messages, \(completion) in the completion). Please reduce the length of the messages or completion."
                return Self.json(
                    400,
                    .object(
                        JSONObject([
                            (
                                "error",
                                .object(
                                    JSONObject([
                                        ("message", .string(message)), ("type", "invalid_request_error"),
                                        ("param", "messages"), ("code", "context_length_exceeded"),
                                    ]))
                            )
                        ])))
            case .llamaServer where prompt > window:
                return Self.json(
                    400,
                    .object(
                        JSONObject([
                            (
                                "error",
                                .object(
                                    JSONObject([
                                        ("code", 400),
                                        (
                                            "message",
                                            "the request exceeds the available context size, try increasing it"
                                        ),
                                        ("type", "exceed_context_size_error"),
                                        ("n_prompt_tokens", .integer(Int64(prompt))),
                                        ("n_ctx", .integer(Int64(window))),
                                    ]))
                            )
                        ])))
            case .vLLM where prompt + completion > window:
                return vLLMError(
                    400,
                    "This model's maximum context length is \(window) tokens. However, you requested \(prompt + completion) tokens (\(prompt) in the messages, \(completion) in the completion). Please reduce the length of the messages or completion."
                )
            default:
                return nil  // Ollama cuts the prompt to num_ctx without a word
            }
        }

        /// The responder's reply as this server would shape it: vLLM's `guided_json` constrains
        /// the answer to the smallest instance of its schema, as `json_schema` does by default.
        func shape(_ reply: StubReply, for request: StubRequest) -> StubReply {
            guard self == .vLLM, let schema = request.json?["guided_json"],
                case .chat(_, let calls, let reason, let prompt, _) = reply
            else { return reply }
            let content = StubServer.minimalInstance(of: schema).serialized()
            return .chat(
                content: content, toolCalls: calls, finishReason: reason, promptTokens: prompt,
                completionTokens: StubServer.estimateTokens(content))
        }

        func vLLMError(_ status: Int, _ message: String) -> StubReply {
            Self.json(
                status,
                .object(
                    JSONObject([
                        ("object", "error"), ("message", .string(message)), ("type", "BadRequestError"),
                        ("param", .null), ("code", .integer(Int64(status))),
                    ])))
        }

        static func json(_ status: Int, _ value: JSONValue) -> StubReply {
            .raw(status: status, headers: [], body: Array(value.serialized().utf8))
        }
    }
}
