import Foundation

/// Strict views of `JSONSerialization` values: Foundation bridges JSON `true` to a number and
/// numbers to `Bool`, so types are checked by what the parser produced, not by casting.
enum JSONValue {
    static func string(_ value: Any?) -> String? {
        value as? String
    }

    static func isNull(_ value: Any?) -> Bool {
        value is NSNull
    }

    /// A short name of the JSON type of `value`, for messages.
    static func typeName(_ value: Any?) -> String {
        guard let value else { return "nothing" }
        if value is NSNull { return "null" }
        if value is String { return "a string" }
        if let number = value as? NSNumber { return String(cString: number.objCType) == "c" ? "a boolean" : "a number" }
        if value is [Any] { return "an array" }
        if value is [String: Any] { return "an object" }
        return "an unknown value"
    }

    /// The parser's own explanation of a failure, without Foundation's error boilerplate.
    static func reason(_ error: Error) -> String {
        (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
    }
}
