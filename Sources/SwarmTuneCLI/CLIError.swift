import Tensor
/// How a command failed; decides the exit code (2 for usage, 1 for a runtime failure).
public enum CLIError: Error, CustomStringConvertible {
    /// The command line is wrong: the message names the option and the problem, the command's
    /// help says how to fix it.
    case usage(command: String, message: String)
    /// The command was right but the work failed.
    case failure(String)

    /// One line: the problem, and where the help is.
    public var description: String {
        switch self {
        case let .usage(command, message):
            let help = command.isEmpty ? "swarmtune --help" : "swarmtune \(command) --help"
            return "\(message) (see '\(help)')"
        case let .failure(m):
            return m
        }
    }

    /// The command the error belongs to, when it is a usage error.
    var command: String {
        if case let .usage(command, _) = self { return command }
        return ""
    }

    public var exitCode: Int32 {
        switch self {
        case .usage: 2
        case .failure: 1
        }
    }

    /// Runs `allocate` (a session or trainer sized from flags) and turns a workspace that does
    /// not fit in memory into a runtime error naming those flags (`flags`, for example
    /// "--batch 1024 × --seq-len 8192").
    static func allocating<T>(_ flags: @autoclosure () -> String, _ allocate: () throws(AllocationError) -> T) throws(CLIError) -> T {
        do { return try allocate() } catch {
            throw .failure("\(flags()): \(error); lower them")
        }
    }
}
