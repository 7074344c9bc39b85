/// The `swarmtune` command table and dispatcher: each command with its one-line summary; the help
/// of each is generated from its declarations.
public enum SwarmTuneCommand {
    public static let version = "0.1.0"

    static let entries: [CommandEntry] = [
        .command(DemoCommand.self),
        .command(SimulateCommand.self),
        .command(ReportCommand.self),
        .group("scenario", summary: "validate scenario files (docs/SCENARIOS.md)", discussion: ScenarioCheckCommand.groupDiscussion, [ScenarioCheckCommand.self]),
        .command(InfoCommand.self),
        .command(GenerateCommand.self),
        .command(TrainCommand.self),
        .command(EvalCommand.self),
        .command(InspectCommand.self),
        .command(MergeCommand.self),
        .command(ExportCommand.self),
        .command(QuantizeCommand.self),
        .group("certs", summary: "create the swarm CA and node certificates (mutual TLS)", discussion: CertsInit.groupDiscussion,
               [CertsInit.self, CertsIssue.self]),
        .command(NodeCommand.self),
        .command(MembersCommand.self),
        .command(StatusCommand.self),
        .group("bench", summary: "measure kernels, the forward pass, training and transport (prints figures)",
               discussion: BenchForward.groupDiscussion, [BenchMachine.self, BenchForward.self, BenchTrain.self, BenchGemm.self, BenchTransport.self, BenchGossip.self]),
    ]

    /// Every command, subcommands included.
    static var allCommands: [any Command.Type] {
        var all: [any Command.Type] = []
        for e in entries { all += e.commands }
        return all
    }

    public static var help: String {
        let width = entries.map(\.name.count).max() ?? 8
        let list = entries.map { "  \($0.name.padding(toLength: width + 2, withPad: " ", startingAt: 0))\($0.summary)" }
            .joined(separator: "\n")
        return """
            swarmtune \(version): decentralized peer-to-peer LoRA fine-tuning on a shared quantized core

            USAGE: swarmtune <command> [options]

            COMMANDS:
            \(list)

            Run 'swarmtune <command> --help' for a command's options and examples.
            Exit codes: 0 success, 1 runtime failure, 2 usage error.
            """
    }

    /// The command a command line selects (without the program name) and its arguments; nil for
    /// the top-level help or version. Throws usage errors for unknown commands.
    static func select(_ argv: [String]) throws(CLIError) -> (entry: CommandEntry, command: (any Command.Type)?, arguments: [String]) {
        guard let first = argv.first else { throw .usage(command: "", message: "missing command") }
        guard let entry = entries.first(where: { $0.name == first }) else {
            throw .usage(command: "", message: "unknown command '\(first)'")
        }
        let rest = Array(argv.dropFirst())
        if !entry.subcommands.isEmpty, rest.isEmpty || rest.first == "--help" || rest.first == "-h" {
            return (entry, nil, rest)
        }
        let (command, arguments) = try entry.select(rest)
        return (entry, command, arguments)
    }

    /// Parses and validates a command line without running it (what the example test checks; the
    /// `node` fuzz target's way in for `--config` files, Fuzz/).
    public static func check(_ argv: [String]) throws(CLIError) {
        let (_, command, arguments) = try select(argv)
        guard let command else { return }
        _ = try command.parse(arguments)
    }

    /// Runs the command line (without the program name) and returns the exit code.
    public static func main(_ argv: [String]) -> Int32 {
        guard let first = argv.first else {
            Output.err(help)
            return 2
        }
        if first == "--help" || first == "-h" || first == "help" {
            Output.out(help)
            return 0
        }
        if first == "--version" {
            Output.out(version)
            return 0
        }
        let wantsHelp = argv.contains("--help") || argv.contains("-h")
        do throws(CLIError) {
            let (entry, command, arguments) = try select(argv)
            guard let command else {
                if wantsHelp { Output.out(entry.help); return 0 }
                _ = try entry.select(arguments)  // names the subcommands
                return 0
            }
            if wantsHelp {
                Output.out(command.help)
                return 0
            }
            try command.execute(arguments)
            return 0
        } catch {
            let known = entries.contains { $0.name == first }
            let label = !error.command.isEmpty ? " " + error.command : known ? " " + first : ""
            Output.err("swarmtune\(label): \(error.description)")
            return error.exitCode
        }
    }
}
