/// What the parser and the help text know of one declared option, flag or positional argument.
/// Every command declares these once (in its `Options` struct); parsing, validation and `--help`
/// are all driven by the same declaration, so the help cannot drift from what is accepted.
public struct OptionSpec: Sendable, Equatable {
    /// The option's name with its dashes (`--steps`), or a positional's placeholder (`CORE`).
    public let name: String
    /// The placeholder of the value (`N`, `PATH`, `fp32|bf16`); nil for a flag.
    public let valueName: String?
    public let help: String
    public let required: Bool
    public let repeatable: Bool
    /// The default as the help shows it.
    public let defaultText: String?
    /// The allowed values or range as the help shows it (`1...512`, `fp32 or bf16`).
    public let allowedText: String?
    public let isPositional: Bool

    public var isFlag: Bool { valueName == nil && !isPositional }
}

/// A declaration a command's `Options` struct holds; found there by reflection.
protocol Declaration: Sendable {
    var spec: OptionSpec { get }
    /// What is wrong with `text` as this declaration's value (nil when it converts; flags and
    /// positionals take any text).
    func problem(with text: String) -> String?
}

extension Declaration {
    func problem(with text: String) -> String? { nil }
}

extension Declarations {
    /// What is wrong with `text` as the value of the option named `name` (nil when it converts or
    /// no option has that name): lets a config file's values be checked where their lines are known.
    func problem(option name: String, value text: String) -> String? {
        for child in Mirror(reflecting: self).children {
            if let d = child.value as? any Declaration, d.spec.name == name { return d.problem(with: text) }
        }
        return nil
    }
}

/// An option taking a value of type `Value`: `--name value` or `--name=value`.
public struct Option<Value: Sendable>: Declaration {
    public let spec: OptionSpec
    let defaultValue: Value?
    /// Turns the text into a value, or says what is wrong with it (without the option's name).
    let convert: @Sendable (String) -> Result<Value, ValueProblem>

    func problem(with text: String) -> String? {
        if case .failure(let problem) = convert(text) { return problem.message }
        return nil
    }

    init(name: String, valueName: String, help: String, required: Bool = false, repeatable: Bool = false,
         default defaultValue: Value? = nil, defaultText: String? = nil, allowed: String? = nil,
         convert: @escaping @Sendable (String) -> Result<Value, ValueProblem>) {
        precondition(name.hasPrefix("--"), "option names start with --")
        spec = OptionSpec(name: name, valueName: valueName, help: help, required: required, repeatable: repeatable,
                          defaultText: defaultText ?? defaultValue.map { "\($0)" }, allowedText: allowed, isPositional: false)
        self.defaultValue = defaultValue
        self.convert = convert
    }
}

/// What is wrong with an option's value; the parser prefixes the option's name.
struct ValueProblem: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// A flag: present or not, no value.
public struct Flag: Declaration {
    public let spec: OptionSpec
    init(_ name: String, help: String) {
        precondition(name.hasPrefix("--"), "flag names start with --")
        spec = OptionSpec(name: name, valueName: nil, help: help, required: false, repeatable: false,
                          defaultText: nil, allowedText: nil, isPositional: false)
    }
}

/// A positional argument (`CORE`, `PATH...`).
public struct Positional: Declaration {
    public let spec: OptionSpec
    init(_ name: String, help: String, required: Bool = true, repeatable: Bool = false) {
        spec = OptionSpec(name: name, valueName: nil, help: help, required: required, repeatable: repeatable,
                          defaultText: nil, allowedText: nil, isPositional: true)
    }
}

// MARK: - The value types

extension Option where Value == String {
    /// Any text (a path, a name).
    static func text(_ name: String, _ valueName: String, help: String, required: Bool = false,
                     repeatable: Bool = false, default value: String? = nil) -> Option {
        Option(name: name, valueName: valueName, help: help, required: required, repeatable: repeatable, default: value) { .success($0) }
    }
}

extension Option where Value == Int {
    /// A whole number within `range`.
    static func integer(_ name: String, _ valueName: String = "N", help: String, default value: Int? = nil,
                        range: ClosedRange<Int>) -> Option {
        Option(name: name, valueName: valueName, help: help, default: value,
               allowed: "\(range.lowerBound)...\(range.upperBound == Int.max ? "" : String(range.upperBound))") { text in
            guard let v = Int(text) else { return .failure(ValueProblem("expects a whole number, got '\(text)'")) }
            guard range.contains(v) else {
                return .failure(ValueProblem("must be between \(range.lowerBound) and \(range.upperBound), got \(v)"))
            }
            return .success(v)
        }
    }
}

extension Option where Value == Double {
    /// A finite number within `range`.
    static func number(_ name: String, _ valueName: String = "X", help: String, default value: Double? = nil,
                       defaultText: String? = nil, range: ClosedRange<Double>) -> Option {
        Option(name: name, valueName: valueName, help: help, default: value,
               defaultText: defaultText ?? value.map(Self.show), allowed: "\(show(range.lowerBound))...\(show(range.upperBound))") { text in
            guard let v = Double(text), v.isFinite else { return .failure(ValueProblem("expects a number, got '\(text)'")) }
            guard range.contains(v) else {
                return .failure(ValueProblem("must be between \(show(range.lowerBound)) and \(show(range.upperBound)), got \(show(v))"))
            }
            return .success(v)
        }
    }

    /// A number as a person writes it: 100 rather than 100.0, 0.0002 as 2e-04.
    static func show(_ x: Double) -> String {
        if x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
        if abs(x) < 1e-3 { return String(format: "%g", x) }
        return "\(x)"
    }
}

extension Option {
    /// One of a fixed set of names. The one mechanism for enum-valued options: the help shows the
    /// names, an error lists them.
    static func choice(_ name: String, _ choices: [(String, Value)], help: String, required: Bool = false,
                       default value: Value? = nil, ignoringCase: Bool = false) -> Option {
        let names = choices.map(\.0)
        let defaultName = value.flatMap { d in choices.first { "\($0.1)" == "\(d)" }?.0 }
        return Option(name: name, valueName: names.joined(separator: "|"), help: help, required: required, default: value,
                      defaultText: defaultName, allowed: nil) { text in
            let match = choices.first { ignoringCase ? $0.0.lowercased() == text.lowercased() : $0.0 == text }
            guard let match else {
                return .failure(ValueProblem("must be one of \(names.joined(separator: ", ")); got '\(text)'"))
            }
            return .success(match.1)
        }
    }

    /// A value with its own syntax (a topology, a hex digest, a list): `convert` names the problem.
    static func custom(_ name: String, _ valueName: String, help: String, required: Bool = false, repeatable: Bool = false,
                       default value: Value? = nil, defaultText: String? = nil, allowed: String? = nil,
                       convert: @escaping @Sendable (String) -> Result<Value, ValueProblem>) -> Option {
        Option(name: name, valueName: valueName, help: help, required: required, repeatable: repeatable,
               default: value, defaultText: defaultText, allowed: allowed, convert: convert)
    }
}

extension Option where Value: CaseIterable & RawRepresentable<String> {
    /// One of an enum's cases, named by their raw values.
    static func choice(_ name: String, of type: Value.Type, help: String, required: Bool = false, default value: Value? = nil) -> Option {
        choice(name, Value.allCases.map { ($0.rawValue, $0) }, help: help, required: required, default: value)
    }
}
