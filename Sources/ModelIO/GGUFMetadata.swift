/// GGUF key-value metadata in file order, with typed look-ups that fail with the key's name.
public struct GGUFMetadata: Sendable, Equatable {
    public private(set) var keys: [String] = []
    private var values: [String: GGUFValue] = [:]

    public init() {}

    public subscript(key: String) -> GGUFValue? { values[key] }

    public var count: Int { keys.count }

    /// Sets a key, keeping the first position of an existing key.
    public mutating func set(_ key: String, _ value: GGUFValue) {
        if values.updateValue(value, forKey: key) == nil { keys.append(key) }
    }

    /// Inserts a key read from a file; a repeated key is an error.
    mutating func insertNew(_ key: String, _ value: GGUFValue) throws(GGUFError) {
        guard values[key] == nil else { throw .duplicateKey(key) }
        keys.append(key)
        values[key] = value
    }

    public func require(_ key: String) throws(GGUFError) -> GGUFValue {
        guard let v = values[key] else { throw .missingKey(key) }
        return v
    }

    public func int(_ key: String) throws(GGUFError) -> Int {
        let v = try require(key)
        guard let i = v.intValue else { throw .wrongValueType(key: key, expected: "integer", found: v.typeDescription) }
        return i
    }

    public func float(_ key: String) throws(GGUFError) -> Double {
        let v = try require(key)
        guard let d = v.doubleValue else { throw .wrongValueType(key: key, expected: "number", found: v.typeDescription) }
        return d
    }

    public func string(_ key: String) throws(GGUFError) -> String {
        let v = try require(key)
        guard let s = v.stringValue else { throw .wrongValueType(key: key, expected: "string", found: v.typeDescription) }
        return s
    }

    public func stringArray(_ key: String) throws(GGUFError) -> [String] {
        let v = try require(key)
        guard case let .array(.string, items) = v else {
            throw .wrongValueType(key: key, expected: "array of string", found: v.typeDescription)
        }
        return items.map { $0.stringValue ?? "" }
    }

    public func int32Array(_ key: String) throws(GGUFError) -> [Int32] {
        let v = try require(key)
        guard case let .array(_, items) = v else {
            throw .wrongValueType(key: key, expected: "array of integer", found: v.typeDescription)
        }
        var out: [Int32] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard let i = item.intValue, let i32 = Int32(exactly: i) else {
                throw .wrongValueType(key: key, expected: "array of i32", found: v.typeDescription)
            }
            out.append(i32)
        }
        return out
    }

    public func optionalInt(_ key: String) throws(GGUFError) -> Int? {
        values[key] == nil ? nil : try int(key)
    }

    public func optionalBool(_ key: String) throws(GGUFError) -> Bool? {
        guard let v = values[key] else { return nil }
        guard let b = v.boolValue else { throw .wrongValueType(key: key, expected: "bool", found: v.typeDescription) }
        return b
    }
}
