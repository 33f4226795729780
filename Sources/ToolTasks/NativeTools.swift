import Runs
import Storage

/// The registry of native (Swift) tools and assertions, by name (`airline.book_reservation`, `builtin.calculate`).
///
/// A domain's tool file names its function with `"native": "<name>"`; lookups are by name only.
public enum NativeTools {
    /// The function registered under `name`.
    public static func function(_ name: String) -> NativeToolFunction? { functions[name] }

    /// The native assertion registered under `name` (returns the value compared with `assert_value`).
    public static func assertion(_ name: String) -> NativeToolFunction? { assertions[name] }

    private static let functions: [String: NativeToolFunction] = {
        var table: [String: NativeToolFunction] = [
            "builtin.calculate": { args, _ in
                .string(try Calculator.text(args["expression"]?.stringValue ?? ""))
            },
            "builtin.think": { _, _ in .string("") },
            "builtin.transfer": { _, _ in .string("Transfer successful") },
        ]
        for (name, body) in AirlineTools.all { table["airline." + name] = body }
        for (name, body) in SupportDeskTools.all { table["support." + name] = body }
        return table
    }()

    private static let assertions: [String: NativeToolFunction] = {
        var table: [String: NativeToolFunction] = [:]
        for (name, body) in SupportDeskTools.assertions { table["support." + name] = body }
        return table
    }()
}
