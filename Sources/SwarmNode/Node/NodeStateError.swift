import Exchange
import Store

/// Why a node's state directory cannot be turned into an adapter (`NodeStateAdapter.read`); each
/// case names the database and says what to do.
public enum NodeStateError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The database is missing, foreign, damaged or unreadable.
    case store(StoreError)
    /// The node has not completed a round yet, so there is no checkpoint to read.
    case noCheckpoint(path: String)
    /// The database predates recorded adapter layouts and no core was given to rebuild it.
    case noLayout(path: String)
    /// The recorded layout (or, for an older database, the configuration) has a bad field.
    case malformedLayout(AdapterLayoutError)
    /// The checkpoint does not hold as many values as its layout needs.
    case lengthMismatch(path: String, round: Int64, stored: Int, expected: Int)
    /// The core given for an older database is not the one the node trained on.
    case coreMismatch(path: String, core: String, stored: String, actual: String)
    /// No adapter settings of an older database reproduce its stored adapter schema hash.
    case schemaMismatch(path: String, core: String)

    public var description: String {
        switch self {
        case .store(let error):
            return error.description
        case .noCheckpoint(let path):
            return "\(path): the node has not completed a round yet, so there is no checkpoint to read (wait for its first round)"
        case .noLayout(let path):
            return "\(path) does not record the adapter layout (\(AdapterLayout.configKey): the core's shapes and the LoRA settings; "
                + "written by an older swarmtune); pass --core FILE, the core the node trained on, to rebuild it"
        case .malformedLayout(let error):
            return error.description
        case let .lengthMismatch(path, round, stored, expected):
            return "\(path): the round \(round) checkpoint holds \(stored) adapter values, its recorded layout needs \(expected) (the database is inconsistent; use another node's state)"
        case let .coreMismatch(path, core, stored, actual):
            return "\(path) was trained on core \(stored.prefix(16))…, but \(core) is \(actual.prefix(16))… (pass the node's own core)"
        case let .schemaMismatch(path, core):
            return "\(path): no LoRA settings (rank, alpha and targets as recorded, with or without rsLoRA/DoRA) on \(core) give the database's adapter schema hash"
        }
    }
}
