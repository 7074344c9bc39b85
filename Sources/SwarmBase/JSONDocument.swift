/// A position in a text file: 1-based line and column.
public struct JSONPosition: Hashable, Sendable {
    public let line: Int
    public let column: Int
}

/// Where a value sits in a JSON document, written as users read it: `events[3].round`.
public struct JSONPath: Hashable, Sendable, CustomStringConvertible {
    public enum Component: Hashable, Sendable {
        case key(String)
        case index(Int)
    }

    public var components: [Component]

    public init(_ components: [Component] = []) { self.components = components }

    /// This path with a key appended.
    public func appending(_ key: String) -> JSONPath { JSONPath(components + [.key(key)]) }

    /// This path with an array index appended.
    public func appending(index: Int) -> JSONPath { JSONPath(components + [.index(index)]) }

    public var description: String {
        var out = ""
        for c in components {
            switch c {
            case .key(let k): out += out.isEmpty ? k : "." + k
            case .index(let i): out += "[\(i)]"
            }
        }
        return out.isEmpty ? "(top level)" : out
    }
}

/// Why a JSON file (a node config, a scenario) cannot be used: the file, the line, the JSON path
/// and what is wrong, in the form `scenarios/x.json:12: events[3].round: 40 is past training.rounds (30)`.
public struct JSONDocumentError: Error, Equatable, Sendable, CustomStringConvertible {
    public let source: String
    public let line: Int?
    public let path: String?
    public let message: String

    public init(source: String, line: Int?, path: String?, message: String) {
        self.source = source
        self.line = line
        self.path = path
        self.message = message
    }

    public var description: String {
        var head = source
        if let line { head += ":\(line)" }
        if let path { return "\(head): \(path): \(message)" }
        return "\(head): \(message)"
    }
}

/// A parsed JSON file that remembers where each value came from, so every error about a field's
/// meaning names its file, line and path.
public struct JSONDocument: Sendable {
    /// The file name (or another label) errors start with.
    public let source: String
    /// The parsed value.
    public let root: JSONValue
    private let positions: [JSONPath: JSONPosition]

    /// Parses `bytes`; a syntax error names `source`, line and column.
    public init(bytes: some Collection<UInt8>, source: String) throws(JSONDocumentError) {
        do {
            (root, positions) = try JSONValue.parseLocated(bytes)
        } catch {
            throw JSONDocumentError(source: source, line: error.line, path: nil,
                                    message: "not valid JSON (column \(error.column)): \(error.message)")
        }
        self.source = source
    }

    /// Reads and parses the file at `path` (at most `limit` bytes).
    public init(path: String, limit: Int = 16 << 20) throws(JSONDocumentError) {
        let bytes: [UInt8]
        do {
            bytes = try FileIO.readAll(path, limit: limit)
        } catch {
            throw JSONDocumentError(source: path, line: nil, path: nil, message: error.reason)
        }
        try self.init(bytes: bytes, source: path)
    }

    /// The line a value starts on.
    public func line(of path: JSONPath) -> Int? { positions[path]?.line }

    /// An error about the value at `path`.
    public func error(at path: JSONPath, _ message: String) -> JSONDocumentError {
        JSONDocumentError(source: source, line: line(of: path), path: path.description, message: message)
    }

    /// The top-level object's fields.
    public func fields() throws(JSONDocumentError) -> JSONFields {
        try JSONFields(document: self, path: JSONPath(), value: root)
    }
}

/// Reads one JSON object's fields with types and ranges, naming the path of anything wrong, and
/// refuses keys nobody read (`finish()`), so a misspelt field never passes silently.
public struct JSONFields: Sendable {
    public let document: JSONDocument
    public let path: JSONPath
    public let members: [String: JSONValue]
    private var read: Set<String> = []

    public init(document: JSONDocument, path: JSONPath, value: JSONValue) throws(JSONDocumentError) {
        guard let members = value.objectValue else { throw document.error(at: path, "expected an object, found \(value.typeName)") }
        self.document = document
        self.path = path
        self.members = members
    }

    /// Whether `key` is present (and marks it read).
    public mutating func has(_ key: String) -> Bool {
        read.insert(key)
        return members[key] != nil
    }

    /// The raw value of `key`, if present (marks it read).
    public mutating func value(_ key: String) -> JSONValue? {
        read.insert(key)
        return members[key]
    }

    /// An error about `key`'s value.
    public func error(_ key: String, _ message: String) -> JSONDocumentError {
        document.error(at: path.appending(key), message)
    }

    public mutating func int(_ key: String, in range: ClosedRange<Int>? = nil) throws(JSONDocumentError) -> Int? {
        guard let v = value(key) else { return nil }
        guard let i = v.intValue else { throw error(key, "expected a whole number, found \(v.typeName == "a number" ? "a fraction" : v.typeName)") }
        if let range, !range.contains(i) { throw error(key, "\(i) is outside \(range.lowerBound)...\(range.upperBound)") }
        return i
    }

    public mutating func double(_ key: String, in range: ClosedRange<Double>? = nil) throws(JSONDocumentError) -> Double? {
        guard let v = value(key) else { return nil }
        guard let d = v.doubleValue else { throw error(key, "expected a number, found \(v.typeName)") }
        if let range, !range.contains(d) { throw error(key, "\(d) is outside \(range.lowerBound)...\(range.upperBound)") }
        return d
    }

    public mutating func bool(_ key: String) throws(JSONDocumentError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard let b = v.boolValue else { throw error(key, "expected true or false, found \(v.typeName)") }
        return b
    }

    public mutating func string(_ key: String, allowEmpty: Bool = false) throws(JSONDocumentError) -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v.stringValue else { throw error(key, "expected a string, found \(v.typeName)") }
        if !allowEmpty && s.isEmpty { throw error(key, "must not be empty") }
        return s
    }

    /// A string that must be one of `allowed`; the error lists them.
    public mutating func choice(_ key: String, _ allowed: [String]) throws(JSONDocumentError) -> String? {
        guard let s = try string(key) else { return nil }
        guard allowed.contains(s) else { throw error(key, "'\(s)' is not one of \(allowed.joined(separator: ", "))") }
        return s
    }

    public mutating func strings(_ key: String) throws(JSONDocumentError) -> [String]? {
        guard let items = try array(key) else { return nil }
        var out: [String] = []
        for (i, item) in items.enumerated() {
            guard let s = item.stringValue else {
                throw document.error(at: path.appending(key).appending(index: i), "expected a string, found \(item.typeName)")
            }
            out.append(s)
        }
        return out
    }

    public mutating func array(_ key: String) throws(JSONDocumentError) -> [JSONValue]? {
        guard let v = value(key) else { return nil }
        guard let a = v.arrayValue else { throw error(key, "expected an array, found \(v.typeName)") }
        return a
    }

    /// The nested object `key`, as fields of its own.
    public mutating func object(_ key: String) throws(JSONDocumentError) -> JSONFields? {
        guard let v = value(key) else { return nil }
        return try JSONFields(document: document, path: path.appending(key), value: v)
    }

    /// Each element of the array `key` that must be an object, as fields of its own.
    public mutating func objects(_ key: String) throws(JSONDocumentError) -> [JSONFields]? {
        guard let items = try array(key) else { return nil }
        var out: [JSONFields] = []
        for (i, item) in items.enumerated() {
            out.append(try JSONFields(document: document, path: path.appending(key).appending(index: i), value: item))
        }
        return out
    }

    /// Refuses keys that no reader asked for, listing the ones it knows.
    public func finish() throws(JSONDocumentError) {
        let unknown = members.keys.filter { !read.contains($0) }.sorted()
        guard let first = unknown.first else { return }
        let known = read.sorted().joined(separator: ", ")
        throw document.error(at: path.appending(first), "unknown field (known here: \(known))")
    }
}
