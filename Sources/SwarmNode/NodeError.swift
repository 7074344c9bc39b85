import Membership
import SwarmBase
import Store
import Tensor
import Transport

/// Why the node runtime could not start or keep its state.
public enum NodeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A state file (or the state directory) could not be read or written.
    case stateFile(FileError)
    /// A state file that should exist does not (e.g. `members.json` of a node that never ran).
    case missingStateFile(path: String, hint: String)
    /// A state file exists but does not parse.
    case corruptStateFile(path: String, detail: String)
    /// The state directory was written by a node with another certificate.
    case stateBelongsToAnotherNode(path: String, stored: String, current: String)
    /// The transport failed to start or refused a call.
    case transport(TransportError)
    /// An address (listen, advertised, seed) is not a valid `host:port`.
    case invalidAddress(String, detail: String)
    /// The driver was started twice, or used after it stopped.
    case invalidState(String)
    /// The trainer's workspace does not fit in memory (`what`: the settings its size comes from).
    case memory(what: String, AllocationError)
    /// The node's state database refused to open, or a write to it failed (disk full...).
    case store(StoreError)

    public var description: String {
        switch self {
        case let .stateFile(error):
            return "\(error); check the state directory exists and is writable"
        case let .missingStateFile(path, hint):
            return "\(path) does not exist: \(hint)"
        case let .corruptStateFile(path, detail):
            return "\(path) is not a valid state file (\(detail)); move it away to start this node afresh"
        case let .stateBelongsToAnotherNode(path, stored, current):
            return "\(path) belongs to node \(stored.prefix(12)), but this certificate is node \(current.prefix(12)); use one state directory per node"
        case .transport(let error):
            return "transport: \(error)"
        case let .invalidAddress(address, detail):
            return "invalid address '\(address)': \(detail)"
        case .store(let error):
            return error.description
        case .invalidState(let detail):
            return detail
        case let .memory(what, error):
            return "\(what): \(error); lower them"
        }
    }
}
