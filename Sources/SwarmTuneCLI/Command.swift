/// A command's declarations: a struct whose stored properties are its options, flags and
/// positionals, in the order the help lists them. Found by reflection, so each is written once.
protocol Declarations: Sendable {
    init()
}

extension Declarations {
    /// The declared options, flags and positionals, in declaration order.
    var specs: [OptionSpec] {
        Mirror(reflecting: self).children.compactMap { ($0.value as? any Declaration)?.spec }
    }
}

/// One `swarmtune` command: its declarations, how it reads them into its own values, a
/// validation step (checks across options, no I/O) and the run step.
protocol Command: Sendable {
    associatedtype Options: Declarations
    /// The name as typed after `swarmtune` (`train`, `bench gemm`).
    static var name: String { get }
    static var summary: String { get }
    /// What the command does, as prose (options are described by their declarations).
    static var discussion: String { get }
    /// Command lines after `swarmtune`, shown under EXAMPLES; a test parses and validates each.
    static var examples: [String] { get }

    init(_ options: Options, _ arguments: inout ParsedArguments) throws(CLIError)
    func validate() throws(CLIError)
    func run() throws(CLIError)
    /// The arguments to parse, from those given: a command with a config file (`node --config`)
    /// turns its fields into options here, so they are parsed and validated like flags.
    static func expandArguments(_ arguments: [String]) throws(CLIError) -> [String]
}

extension Command {
    func validate() throws(CLIError) {}

    static func expandArguments(_ arguments: [String]) throws(CLIError) -> [String] { arguments }

    static var declarations: [OptionSpec] { Options().specs }

    static var help: String { Help.render(name: name, summary: summary, discussion: discussion, specs: declarations, examples: examples) }

    /// Parses and validates a command line (the arguments after the command's name) without running it.
    static func parse(_ arguments: [String]) throws(CLIError) -> Self {
        let arguments = try expandArguments(arguments)
        var parsed = try ParsedArguments(command: name, arguments, declarations: declarations)
        let command = try Self(Options(), &parsed)
        try parsed.finish()
        try command.validate()
        return command
    }

    /// The declarations a parse of `arguments` left unread (empty for a correct command).
    static func unreadDeclarations(_ arguments: [String]) throws(CLIError) -> Set<String> {
        var parsed = try ParsedArguments(command: name, arguments, declarations: declarations)
        _ = try Self(Options(), &parsed)
        return Set(declarations.map(\.name)).subtracting(parsed.read)
    }
}

/// A command or a group of subcommands (`bench forward|train|gemm|transport`), as the table lists it.
struct CommandEntry: Sendable {
    let name: String
    let summary: String
    let help: String
    /// Every command under this entry (itself, or its subcommands).
    let commands: [any Command.Type]
    let subcommands: [String: any Command.Type]

    static func command(_ c: any Command.Type) -> CommandEntry {
        CommandEntry(name: c.name, summary: c.summary, help: c.help, commands: [c], subcommands: [:])
    }

    static func group(_ name: String, summary: String, discussion: String, _ commands: [any Command.Type]) -> CommandEntry {
        var subs: [String: any Command.Type] = [:]
        for c in commands { subs[String(c.name.dropFirst(name.count + 1))] = c }
        return CommandEntry(name: name, summary: summary,
                            help: Help.renderGroup(name: name, summary: summary, discussion: discussion, commands: commands),
                            commands: commands, subcommands: subs)
    }

    /// The command an argument list (after the entry's name) selects, and the arguments left for it.
    func select(_ arguments: [String]) throws(CLIError) -> (any Command.Type, [String]) {
        if subcommands.isEmpty { return (commands[0], arguments) }
        let names = commands.map { String($0.name.dropFirst(name.count + 1)) }.joined(separator: ", ")
        guard let first = arguments.first else { throw .usage(command: name, message: "missing what to run (\(names))") }
        guard let sub = subcommands[first] else { throw .usage(command: name, message: "unknown subcommand '\(first)' (\(names))") }
        return (sub, Array(arguments.dropFirst()))
    }
}

extension Command {
    /// Parses, validates and runs.
    static func execute(_ arguments: [String]) throws(CLIError) {
        try parse(arguments).run()
    }
}
