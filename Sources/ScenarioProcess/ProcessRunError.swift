import ScenarioRun

/// Why a process-backend run could not be carried out, with what to look at.
public enum ProcessRunError: Error, Sendable, CustomStringConvertible {
    /// What the backends share failed: the core, the data, training, evaluation or the output.
    case scenario(InprocError)
    /// The scenario asks for something this backend does not do (`field`: its JSON path).
    case unsupported(file: String, field: String, reason: String)
    /// This machine cannot run the backend (netns: not root, no `ip`, no namespaces); one line.
    case cannotRun(String)
    /// The run directory could not be prepared (certificates, data files, ports).
    case setup(what: String, reason: String)
    /// A node process could not be started.
    case launch(node: Int, reason: String)
    /// A node process ended on its own with a failure; `log` is its output, `tail` its last lines.
    case nodeFailed(node: Int, status: String, log: String, tail: [String])
    /// No node completed a round for too long.
    case stalled(seconds: Double, rounds: [Int: Int])
    /// SIGINT or SIGTERM: every node was stopped.
    case interrupted
    /// A node's state database could not be read after the run.
    case store(node: Int, path: String, reason: String)

    public var description: String {
        switch self {
        case .scenario(let e): return e.description
        case let .unsupported(file, field, reason): return "\(file): \(field): \(reason)"
        case .cannotRun(let what): return what
        case let .setup(what, reason): return "preparing \(what): \(reason)"
        case let .launch(node, reason): return "cannot start node \(node): \(reason)"
        case let .nodeFailed(node, status, log, tail):
            return "node \(node) \(status); its log is \(log)" + (tail.isEmpty ? "" : ", ending:\n" + tail.map { "  " + $0 }.joined(separator: "\n"))
        case let .stalled(seconds, rounds):
            let where_ = rounds.keys.sorted().map { "node \($0) at round \(rounds[$0]!)" }.joined(separator: ", ")
            return "no node completed a round for \(Int(seconds)) s (\(where_)); every node was stopped"
        case .interrupted: return "interrupted: every node process was stopped; the run directory keeps what they wrote"
        case let .store(node, path, reason): return "node \(node)'s state \(path): \(reason)"
        }
    }
}
