import CSQLite

/// What SQL from a file Agora does not trust (a domain package's `schema.sql`, tool SQL, task
/// assertions) may do on a connection, enforced by SQLite's authorizer (`sqlite3_set_authorizer`).
///
/// Denied in every mode: `ATTACH`/`DETACH` (no other database file can be read or written),
/// `PRAGMA` except a read-only allow-list (no `writable_schema`, no `journal_mode`), functions
/// outside an allow-list (no `load_extension`, no `random`), and virtual tables. Schema changes
/// (`CREATE`, `DROP`, `ALTER`) are allowed only in ``schema`` mode, the one used while a domain's
/// `schema.sql` is loaded. The connection also gets `SQLITE_LIMIT_ATTACHED` 0 and
/// `SQLITE_DBCONFIG_DEFENSIVE` (no writes to the schema table, no corruption through pragmas).
public struct SQLSandbox: Sendable, Hashable {
    /// Whether tables, indexes, views and triggers may be created, dropped or altered.
    public var allowsSchemaChanges: Bool

    /// Data only: reads and writes of rows (episodes, tools, assertions).
    public static let data = SQLSandbox(allowsSchemaChanges: false)
    /// Data and schema: loading a domain's `schema.sql`.
    public static let schema = SQLSandbox(allowsSchemaChanges: true)

    /// Pragmas that only read, whatever their argument (a table or index name).
    public static let readOnlyPragmas: Set<String> = [
        "table_info", "table_xinfo", "index_list", "index_info", "index_xinfo", "foreign_key_list", "collation_list",
        "function_list", "table_list",
    ]

    /// Pragmas that read a setting without an argument and would change it with one.
    public static let readOnlySettings: Set<String> = ["user_version", "schema_version", "application_id", "encoding"]

    /// SQL functions domain SQL may call: deterministic scalar, aggregate, date and JSON functions.
    public static let allowedFunctions: Set<String> = [
        "abs", "char", "coalesce", "concat", "concat_ws", "format", "glob", "hex", "ifnull", "iif", "instr",
        "length", "like", "likelihood", "likely", "lower", "ltrim", "max", "min", "nullif", "octet_length", "printf",
        "quote", "replace", "round", "rtrim", "sign", "soundex", "substr", "substring", "trim", "typeof", "unhex",
        "unicode", "unlikely", "upper", "changes", "total_changes", "last_insert_rowid", "sqlite_version",
        "count", "sum", "total", "avg", "group_concat", "string_agg",
        "date", "time", "datetime", "julianday", "strftime", "unixepoch", "timediff",
        "json", "json_array", "json_array_length", "json_extract", "json_insert", "json_object", "json_patch",
        "json_remove", "json_replace", "json_set", "json_type", "json_valid", "json_quote", "json_group_array",
        "json_group_object", "json_each", "json_tree", "jsonb", "json_pretty",
        "acos", "asin", "atan", "atan2", "ceil", "ceiling", "cos", "exp", "floor", "ln", "log", "log10", "log2", "mod",
        "pi", "pow", "power", "sin", "sqrt", "tan", "trunc", "degrees", "radians",
    ]

    /// Creates a policy.
    public init(allowsSchemaChanges: Bool) {
        self.allowsSchemaChanges = allowsSchemaChanges
    }

    /// Whether an authorizer request is allowed.
    func allows(_ action: Int32, _ first: String?, _ second: String?) -> Bool {
        switch action {
        case SQLITE_ATTACH, SQLITE_DETACH, SQLITE_CREATE_VTABLE, SQLITE_DROP_VTABLE:
            return false
        case SQLITE_PRAGMA:
            let name = first?.lowercased() ?? ""
            return Self.readOnlyPragmas.contains(name) || (second == nil && Self.readOnlySettings.contains(name))
        case SQLITE_FUNCTION:
            return Self.allowedFunctions.contains(second?.lowercased() ?? "")
        case SQLITE_CREATE_INDEX, SQLITE_CREATE_TABLE, SQLITE_CREATE_TRIGGER, SQLITE_CREATE_VIEW, SQLITE_DROP_INDEX,
            SQLITE_DROP_TABLE, SQLITE_DROP_TRIGGER, SQLITE_DROP_VIEW, SQLITE_ALTER_TABLE:
            return allowsSchemaChanges
        case SQLITE_CREATE_TEMP_INDEX, SQLITE_CREATE_TEMP_TABLE, SQLITE_CREATE_TEMP_TRIGGER, SQLITE_CREATE_TEMP_VIEW,
            SQLITE_DROP_TEMP_INDEX, SQLITE_DROP_TEMP_TABLE, SQLITE_DROP_TEMP_TRIGGER, SQLITE_DROP_TEMP_VIEW:
            return false
        default:
            return true
        }
    }
}

/// The policy as the authorizer's user data (kept alive by the connection).
final class SandboxBox {
    let policy: SQLSandbox
    init(_ policy: SQLSandbox) { self.policy = policy }
}

extension Connection {
    /// Restricts what SQL on this connection may do from now on (see ``SQLSandbox``). A denied
    /// statement fails to prepare with "not authorized".
    public func sandbox(_ policy: SQLSandbox) throws(StorageError) {
        let box = SandboxBox(policy)
        sandboxBox = box
        statementCacheReset()
        sqlite3_limit(handle.pointer, SQLITE_LIMIT_ATTACHED, 0)
        let defensive = agora_sqlite3_db_config_flag(handle.pointer, SQLITE_DBCONFIG_DEFENSIVE, 1)
        guard defensive == SQLITE_OK else { throw handle.error(defensive, sql: nil, context: "cannot set DEFENSIVE") }
        let result = sqlite3_set_authorizer(
            handle.pointer,
            { userData, action, first, second, _, _ in
                guard let userData else { return SQLITE_DENY }
                let box = Unmanaged<SandboxBox>.fromOpaque(userData).takeUnretainedValue()
                let allowed = box.policy.allows(
                    action, first.map { String(cString: $0) }, second.map { String(cString: $0) })
                return allowed ? SQLITE_OK : SQLITE_DENY
            }, Unmanaged.passUnretained(box).toOpaque())
        guard result == SQLITE_OK else { throw handle.error(result, sql: nil, context: "cannot install the sandbox") }
    }
}
