import Foundation

/// Strict views of the `Any` values that `JSONSerialization` produces. Foundation bridges JSON
/// `true` to a number and `2.0` to an integer; these helpers tell them apart so that a header
/// field of the wrong JSON type is refused instead of silently coerced.
enum JSONValue {
    /// Parses one JSON document (an object or array at top level).
    static func parse(_ bytes: some Collection<UInt8>) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(bytes), options: [])
    }

    /// `true`/`false` only (not the numbers 0 and 1).
    static func bool(_ value: Any) -> Bool? {
        guard let number = value as? NSNumber, isBooleanNumber(number) else { return nil }
        return number.boolValue
    }

    /// A JSON number written without fraction or exponent that fits in `Int`.
    static func integer(_ value: Any) -> Int? {
        guard let number = value as? NSNumber, !isBooleanNumber(number), !isFloatingNumber(number) else { return nil }
        return value as? Int
    }

    /// Any JSON number (integers included), not booleans.
    static func number(_ value: Any) -> Double? {
        guard let number = value as? NSNumber, !isBooleanNumber(number) else { return nil }
        return number.doubleValue
    }

    static func string(_ value: Any) -> String? {
        value as? String
    }

    static func isNull(_ value: Any) -> Bool {
        value is NSNull
    }

    /// A short name of the JSON type of `value`, for error messages.
    static func typeName(_ value: Any) -> String {
        if value is NSNull { return "null" }
        if value is String { return "a string" }
        if let number = value as? NSNumber { return isBooleanNumber(number) ? "a boolean" : "a number" }
        if value is [Any] { return "an array" }
        if value is [String: Any] { return "an object" }
        return "an unknown value"
    }

    private static func isBooleanNumber(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }

    private static func isFloatingNumber(_ number: NSNumber) -> Bool {
        let type = String(cString: number.objCType)
        return type == "d" || type == "f"
    }

    /// Serializes a JSON-compatible value with sorted keys and indentation (deterministic bytes).
    static func serialize(_ value: Any, pretty: Bool) throws -> [UInt8] {
        var options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        if pretty { options.insert(.prettyPrinted) }
        return Array(try JSONSerialization.data(withJSONObject: value, options: options))
    }
}

/// Finds the raw keys of a JSON document's top-level object, in order, including repeats, so
/// that duplicate names (which `JSONSerialization` silently collapses) can be detected. Runs
/// only on text `JSONSerialization` has already accepted, so it only tracks strings and depth.
enum JSONTopLevelKeys {
    /// The decoded top-level keys, or nil if the text is not a single JSON object.
    static func keys(of bytes: [UInt8]) -> [String]? {
        var keys: [String] = []
        var depth = 0
        var index = 0
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                index += 1
            case quote:
                let start = index
                index += 1
                while index < bytes.count && bytes[index] != quote {
                    index += bytes[index] == backslash ? 2 : 1
                }
                guard index < bytes.count else { return nil }
                index += 1
                guard depth == 1 else { continue }
                // A string at depth 1 is a key when the next non-space byte is a colon.
                var next = index
                while next < bytes.count && isJSONSpace(bytes[next]) { next += 1 }
                if next < bytes.count && bytes[next] == UInt8(ascii: ":") {
                    let raw = Data(bytes[start..<index])
                    guard let key = try? JSONSerialization.jsonObject(with: raw, options: [.fragmentsAllowed]) as? String
                    else { return nil }
                    keys.append(key)
                }
            default:
                index += 1
            }
        }
        return keys
    }

    private static func isJSONSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}
