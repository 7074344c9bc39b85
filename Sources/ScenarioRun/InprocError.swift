import Tensor
import Scenario

/// Why an inproc run could not be carried out, with what to change.
public enum InprocError: Error, Sendable, CustomStringConvertible {
    /// The scenario's core cannot be read or is not a usable model (`path`: as the scenario names it).
    case core(path: String, reason: String)
    /// The scenario asks for something this backend does not do yet (`field`: its JSON path).
    case unsupported(file: String, field: String, reason: String)
    /// The scenario's data cannot be built.
    case data(ScenarioDataError)
    /// Training or evaluation failed (`what`: which node or baseline, and the round).
    case compute(what: String, reason: String)
    /// A trainer's or evaluator's workspace does not fit in memory (`what`: whose, and the
    /// scenario fields its size comes from).
    case memory(what: String, AllocationError)
    /// The run directory cannot be written.
    case output(path: String, reason: String)

    public var description: String {
        switch self {
        case let .core(path, reason):
            return "core \(path): \(reason) (the scenario's 'core' field names it, relative to the working directory)"
        case let .unsupported(file, field, reason): return "\(file): \(field): \(reason)"
        case .data(let e): return "\(e)"
        case let .compute(what, reason): return "\(what): \(reason)"
        case let .memory(what, e): return "\(what): \(e)"
        case let .output(path, reason): return "\(path): \(reason)"
        }
    }
}
