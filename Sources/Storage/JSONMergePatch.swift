/// JSON merge patches (RFC 7396): how an experiment's arm describes its difference from the base
/// scenario.
extension JSONValue {
    /// This value with `patch` applied by RFC 7396: an object patch merges member by member (a
    /// `null` member removes the key, an object member merges recursively, anything else replaces);
    /// any other patch replaces the whole value. Keys keep their order; new keys are appended.
    public func mergePatched(with patch: JSONValue) -> JSONValue {
        guard case .object(let changes) = patch else { return patch }
        var target: JSONObject
        if case .object(let object) = self { target = object } else { target = JSONObject() }
        for (key, change) in changes {
            if change.isNull {
                target[key] = nil
            } else {
                target[key] = (target[key] ?? .null).mergePatched(with: change)
            }
        }
        return .object(target)
    }
}
