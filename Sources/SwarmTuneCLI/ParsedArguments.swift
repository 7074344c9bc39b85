/// A command line split against a command's declarations: every `--name` must be a declared option
/// or flag (typos never pass silently), values are converted and checked by their declaration, and
/// everything else is a positional argument. Errors are usage errors naming the option.
struct ParsedArguments {
    let command: String
    private let specs: [String: OptionSpec]
    private let positionalSpecs: [OptionSpec]
    /// The raw values of each option given, in order.
    private var given: [String: [String]] = [:]
    private var flagsGiven: Set<String> = []
    private var positionals: [String] = []
    private var nextPositional = 0
    /// Declarations the command has read (a declared option nobody reads is a bug the tests catch).
    private(set) var read: Set<String> = []

    /// The options and flags given on the command line (for a command whose modes take different
    /// options, to refuse one that does not apply).
    var givenNames: Set<String> { Set(given.keys).union(flagsGiven) }

    init(command: String, _ arguments: [String], declarations: [OptionSpec]) throws(CLIError) {
        self.command = command
        specs = Dictionary(declarations.filter { !$0.isPositional }.map { ($0.name, $0) }) { a, _ in a }
        positionalSpecs = declarations.filter(\.isPositional)
        var i = 0
        while i < arguments.count {
            let item = arguments[i]
            i += 1
            guard item.hasPrefix("-"), item.count > 1 else {
                positionals.append(item)
                continue
            }
            let name: String, inline: String?
            if let eq = item.firstIndex(of: "=") {
                name = String(item[..<eq])
                inline = String(item[item.index(after: eq)...])
            } else {
                name = item
                inline = nil
            }
            guard let spec = specs[name] else { throw CLIError.usage(command: command, message: "unknown option '\(name)'") }
            if spec.isFlag {
                guard inline == nil else { throw CLIError.usage(command: command, message: "option \(name) takes no value") }
                flagsGiven.insert(name)
                continue
            }
            if let inline {
                given[name, default: []].append(inline)
            } else {
                guard i < arguments.count else { throw CLIError.usage(command: command, message: "option \(name) needs a value") }
                given[name, default: []].append(arguments[i])
                i += 1
            }
        }
    }

    private mutating func mark(_ spec: OptionSpec) {
        precondition(spec.isPositional ? positionalSpecs.contains(spec) : specs[spec.name] == spec,
                     "\(command): \(spec.name) is read but not declared")
        read.insert(spec.name)
    }

    private func convert<V>(_ option: Option<V>, _ text: String) throws(CLIError) -> V {
        switch option.convert(text) {
        case .success(let v): return v
        case .failure(let problem): throw .usage(command: command, message: "option \(option.spec.name) \(problem.message)")
        }
    }

    /// The option's value (the last one given), its default, or nil.
    mutating func optional<V>(_ option: Option<V>) throws(CLIError) -> V? {
        mark(option.spec)
        guard let text = given[option.spec.name]?.last else { return option.defaultValue }
        return try convert(option, text)
    }

    /// The option's value or its default; a missing required option is a usage error.
    mutating func value<V>(_ option: Option<V>) throws(CLIError) -> V {
        guard let v = try optional(option) else {
            precondition(option.spec.required, "\(command): \(option.spec.name) has no default; read it with optional(_:)")
            throw .usage(command: command, message: "missing required option \(option.spec.name)")
        }
        return v
    }

    /// Every value of a repeatable option, in order.
    mutating func values<V>(_ option: Option<V>) throws(CLIError) -> [V] {
        mark(option.spec)
        precondition(option.spec.repeatable, "\(command): \(option.spec.name) is not declared repeatable")
        var out: [V] = []
        for text in given[option.spec.name] ?? [] { out.append(try convert(option, text)) }
        return out
    }

    /// Whether the option was on the command line (not only its default).
    func wasGiven<V>(_ option: Option<V>) -> Bool { given[option.spec.name] != nil }

    mutating func flag(_ flag: Flag) -> Bool {
        mark(flag.spec)
        return flagsGiven.contains(flag.spec.name)
    }

    /// The next positional argument; a missing required one is a usage error.
    mutating func positional(_ positional: Positional) throws(CLIError) -> String? {
        mark(positional.spec)
        guard nextPositional < positionals.count else {
            if positional.spec.required { throw .usage(command: command, message: "missing \(positional.spec.name) (\(positional.spec.help))") }
            return nil
        }
        nextPositional += 1
        return positionals[nextPositional - 1]
    }

    /// All remaining positional arguments (for `PATH...`); at least one when required.
    mutating func positionals(_ positional: Positional) throws(CLIError) -> [String] {
        mark(positional.spec)
        let rest = Array(positionals[nextPositional...])
        nextPositional = positionals.count
        if rest.isEmpty && positional.spec.required {
            throw .usage(command: command, message: "missing \(positional.spec.name) (\(positional.spec.help))")
        }
        return rest
    }

    /// Refuses positional arguments no declaration took.
    func finish() throws(CLIError) {
        guard nextPositional >= positionals.count else {
            throw .usage(command: command, message: "unexpected argument '\(positionals[nextPositional])'")
        }
    }
}
