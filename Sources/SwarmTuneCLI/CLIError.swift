/// How a command failed; decides the exit code (2 for usage, 1 for a runtime failure).
public enum CLIError: Error, CustomStringConvertible {
    /// The command line is wrong: the message says what and the command's help how to fix it.
    case usage(command: String, message: String)
    /// The command was right but the work failed.
    case failure(String)

    public var description: String {
        switch self {
        case let .usage(command, message):
            let help = command.isEmpty ? "swarmtune --help" : "swarmtune \(command) --help"
            return "\(message)\n(see '\(help)')"
        case let .failure(m):
            return m
        }
    }

    public var exitCode: Int32 {
        switch self {
        case .usage: 2
        case .failure: 1
        }
    }
}
