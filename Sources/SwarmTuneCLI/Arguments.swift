/// A small command-line reader: options (`--name value` or `--name=value`), flags and
/// positionals, with errors that name the offending argument. Every option a command reads is
/// consumed; `finish()` refuses whatever is left, so typos never pass silently.
public struct Arguments {
    public let command: String
    private var items: [String]
    private var consumed: [Bool]

    public init(command: String, _ items: [String]) {
        self.command = command
        self.items = items
        consumed = Array(repeating: false, count: items.count)
    }

    /// True when `--help` or `-h` was given.
    public var wantsHelp: Bool { items.contains("--help") || items.contains("-h") }

    public mutating func flag(_ name: String) -> Bool {
        var found = false
        for (i, item) in items.enumerated() where !consumed[i] && item == name {
            consumed[i] = true
            found = true
        }
        return found
    }

    /// The value of the last `name` option, if given.
    public mutating func option(_ name: String) throws(CLIError) -> String? {
        var value: String?
        var i = 0
        while i < items.count {
            defer { i += 1 }
            guard !consumed[i] else { continue }
            let item = items[i]
            if item == name {
                guard i + 1 < items.count, !consumed[i + 1] else {
                    throw .usage(command: command, message: "option \(name) needs a value")
                }
                consumed[i] = true
                consumed[i + 1] = true
                value = items[i + 1]
                i += 1
            } else if item.hasPrefix(name + "=") {
                consumed[i] = true
                value = String(item.dropFirst(name.count + 1))
            }
        }
        return value
    }

    /// All values of a repeatable option, in order.
    public mutating func options(_ name: String) throws(CLIError) -> [String] {
        var values: [String] = []
        while let v = try optionOnce(name) { values.append(v) }
        return values
    }

    private mutating func optionOnce(_ name: String) throws(CLIError) -> String? {
        for i in items.indices where !consumed[i] {
            if items[i] == name {
                guard i + 1 < items.count, !consumed[i + 1] else {
                    throw .usage(command: command, message: "option \(name) needs a value")
                }
                consumed[i] = true
                consumed[i + 1] = true
                return items[i + 1]
            }
            if items[i].hasPrefix(name + "=") {
                consumed[i] = true
                return String(items[i].dropFirst(name.count + 1))
            }
        }
        return nil
    }

    public mutating func required(_ name: String) throws(CLIError) -> String {
        guard let v = try option(name) else { throw .usage(command: command, message: "missing required option \(name)") }
        return v
    }

    public mutating func int(_ name: String, default value: Int? = nil, range: ClosedRange<Int>? = nil) throws(CLIError) -> Int? {
        guard let s = try option(name) else { return value }
        guard let v = Int(s) else { throw .usage(command: command, message: "option \(name) expects a whole number, got '\(s)'") }
        if let range, !range.contains(v) {
            throw .usage(command: command, message: "option \(name) must be between \(range.lowerBound) and \(range.upperBound), got \(v)")
        }
        return v
    }

    public mutating func double(_ name: String, default value: Double? = nil, range: ClosedRange<Double>? = nil) throws(CLIError) -> Double? {
        guard let s = try option(name) else { return value }
        guard let v = Double(s), v.isFinite else { throw .usage(command: command, message: "option \(name) expects a number, got '\(s)'") }
        if let range, !range.contains(v) {
            throw .usage(command: command, message: "option \(name) must be between \(range.lowerBound) and \(range.upperBound), got \(v)")
        }
        return v
    }

    /// The next unconsumed argument that does not look like an option.
    public mutating func positional(_ what: String) throws(CLIError) -> String {
        guard let v = optionalPositional() else { throw .usage(command: command, message: "missing \(what)") }
        return v
    }

    public mutating func optionalPositional() -> String? {
        for i in items.indices where !consumed[i] && !(items[i].hasPrefix("-") && items[i].count > 1) {
            consumed[i] = true
            return items[i]
        }
        return nil
    }

    /// Every argument not yet consumed, in order (for commands that parse their own options).
    public mutating func takeAll() -> [String] {
        let left = items.indices.filter { !consumed[$0] }.map { items[$0] }
        consumed = Array(repeating: true, count: items.count)
        return left
    }

    /// Refuses any argument no one asked for.
    public func finish() throws(CLIError) {
        let left = items.indices.filter { !consumed[$0] }.map { items[$0] }
        guard left.isEmpty else {
            let what = left.first!.hasPrefix("-") ? "unknown option" : "unexpected argument"
            throw .usage(command: command, message: "\(what) '\(left.first!)'")
        }
    }
}
