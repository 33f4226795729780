public import Foundation
import Synchronization

/// Counts model use per model: calls, cached calls, tokens and latency, and turns it into cost
/// with an optional price table.
public final class Ledger: Sendable {
    /// The totals of one model.
    public struct Entry: Sendable, Hashable, Codable {
        /// The model identifier.
        public var model: String
        /// Calls answered by the endpoint.
        public var calls: Int = 0
        /// Calls answered by the cache.
        public var cachedCalls: Int = 0
        /// Calls that failed.
        public var failedCalls: Int = 0
        /// Prompt tokens of endpoint calls.
        public var promptTokens: Int = 0
        /// Completion tokens of endpoint calls.
        public var completionTokens: Int = 0
        /// Prompt tokens of endpoint calls that the server took from its own prompt cache
        /// (``Usage/cachedPromptTokens``; part of ``promptTokens``).
        public var serverCachedPromptTokens: Int = 0
        /// Prompt tokens that cached calls saved.
        public var cachedPromptTokens: Int = 0
        /// Completion tokens that cached calls saved.
        public var cachedCompletionTokens: Int = 0
        /// Summed wall time of endpoint calls, in seconds.
        public var latencySeconds: Double = 0

        /// Mean latency of endpoint calls, in seconds.
        public var meanLatency: Double { calls == 0 ? 0 : latencySeconds / Double(calls) }
    }

    private let entries = Mutex<[String: Entry]>([:])

    /// Creates an empty ledger.
    public init() {}

    /// Records one call.
    public func record(model: String, usage: Usage, latency: Duration, cached: Bool) {
        entries.withLock { table in
            var entry = table[model] ?? Entry(model: model)
            if cached {
                entry.cachedCalls += 1
                entry.cachedPromptTokens += usage.promptTokens
                entry.cachedCompletionTokens += usage.completionTokens
            } else {
                entry.calls += 1
                entry.promptTokens += usage.promptTokens
                entry.completionTokens += usage.completionTokens
                entry.serverCachedPromptTokens += usage.cachedPromptTokens
                let parts = latency.components
                entry.latencySeconds += Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
            }
            table[model] = entry
        }
    }

    /// Records a failed call.
    public func recordFailure(model: String) {
        entries.withLock { table in
            var entry = table[model] ?? Entry(model: model)
            entry.failedCalls += 1
            table[model] = entry
        }
    }

    /// The totals per model, sorted by model identifier.
    public func snapshot() -> [Entry] {
        entries.withLock { table in table.values.sorted { $0.model < $1.model } }
    }

    /// The totals over all models.
    public func total() -> Entry {
        snapshot().reduce(into: Entry(model: "total")) { sum, e in
            sum.calls += e.calls
            sum.cachedCalls += e.cachedCalls
            sum.failedCalls += e.failedCalls
            sum.promptTokens += e.promptTokens
            sum.completionTokens += e.completionTokens
            sum.serverCachedPromptTokens += e.serverCachedPromptTokens
            sum.cachedPromptTokens += e.cachedPromptTokens
            sum.cachedCompletionTokens += e.cachedCompletionTokens
            sum.latencySeconds += e.latencySeconds
        }
    }
}

/// Prices per million tokens, by model identifier.
public struct PriceTable: Sendable, Hashable, Codable {
    /// The price of one model.
    public struct Price: Sendable, Hashable, Codable {
        /// Currency units per million prompt tokens.
        public var prompt: Double
        /// Currency units per million completion tokens.
        public var completion: Double
        /// Currency units per million prompt tokens the server answered from its prompt cache
        /// (`nil`: the prompt rate).
        public var cachedPrompt: Double?

        /// Creates a price.
        public init(prompt: Double, completion: Double, cachedPrompt: Double? = nil) {
            self.prompt = prompt
            self.completion = completion
            self.cachedPrompt = cachedPrompt
        }

        /// The cost of `prompt` prompt tokens (of which `cached` came from the server's cache)
        /// and `completion` completion tokens.
        public func cost(prompt tokens: Int, cached: Int, completion completionTokens: Int) -> Double {
            let cached = min(max(cached, 0), tokens)
            return
                (Double(tokens - cached) * prompt + Double(cached) * (cachedPrompt ?? prompt)
                + Double(completionTokens) * completion) / 1e6
        }
    }

    /// Prices by model identifier.
    public var prices: [String: Price]

    /// Creates a table.
    public init(prices: [String: Price] = [:]) {
        self.prices = prices
    }

    /// List prices in US dollars per million tokens (input, cached input, output) of common OpenAI
    /// models as published when this table was written (check them before relying on a figure;
    /// override with `--prices FILE`). The local model costs 0.
    public static let listPrices = PriceTable(prices: [
        LocalModel.identifier: .init(prompt: 0, completion: 0),
        "gpt-4o-mini": .init(prompt: 0.15, completion: 0.60, cachedPrompt: 0.075),
        "gpt-4o": .init(prompt: 2.50, completion: 10.00, cachedPrompt: 1.25),
        "gpt-4.1": .init(prompt: 2.00, completion: 8.00, cachedPrompt: 0.50),
        "gpt-4.1-mini": .init(prompt: 0.40, completion: 1.60, cachedPrompt: 0.10),
        "gpt-4.1-nano": .init(prompt: 0.10, completion: 0.40, cachedPrompt: 0.025),
    ])

    /// The price of `model`: by identifier, else by the model name after `#` or the last `/`.
    public func price(of model: String) -> Price? {
        if let price = prices[model] { return price }
        if let hash = model.lastIndex(of: "#"), let price = prices[String(model[model.index(after: hash)...])] {
            return price
        }
        if let slash = model.lastIndex(of: "/") { return prices[String(model[model.index(after: slash)...])] }
        return nil
    }

    /// What calls to `model` cost at list price: cached prompt tokens at the cached rate, calls the
    /// Batch API answered (`batch`) at ``BatchAPIClient/priceFactor`` of it; 0 for local and
    /// scripted models; `nil` when the model has no price.
    public func cost(model: String, prompt: Int, cached: Int, completion: Int, batch: Bool = false) -> Double? {
        if model.hasPrefix("local/") || model == "scripted" { return 0 }
        guard let price = price(of: model) else { return nil }
        let cost = price.cost(prompt: prompt, cached: cached, completion: completion)
        return batch ? cost * BatchAPIClient.priceFactor : cost
    }

    /// The cost of an entry's endpoint calls (cached prompt tokens at the cached rate), or `nil`
    /// if the model has no price.
    public func cost(of entry: Ledger.Entry) -> Double? {
        guard let price = price(of: entry.model) else { return nil }
        return price.cost(
            prompt: entry.promptTokens, cached: entry.cachedPromptTokens, completion: entry.completionTokens)
    }

    /// Loads `{"model": {"prompt": x, "completion": y}, …}` from a JSON file.
    public static func load(_ url: URL) throws(InferenceError) -> PriceTable {
        do {
            let data = try Data(contentsOf: url)
            return PriceTable(prices: try JSONDecoder().decode([String: Price].self, from: data))
        } catch {
            throw InferenceError(
                .invalidConfiguration,
                "\(url.path): not a price table; expected {\"MODEL\": {\"prompt\": USD_PER_1M, \"completion\": USD_PER_1M, \"cachedPrompt\": USD_PER_1M (optional)}}",
                underlying: error)
        }
    }
}
