/// Why a merge or an export was refused or failed. Nothing is written when one is thrown.
public enum ExportError: Error, CustomStringConvertible, Sendable, Equatable {
    /// An adapter directory could not be read (missing files, corrupt safetensors, bad config).
    case unreadableAdapter(path: String, reason: String)
    /// A merge needs at least one adapter.
    case noAdapters
    /// The weights do not fit the adapters (count, sign, finiteness).
    case badWeights(String)
    /// Two adapters were trained on different cores (their provenance core hashes differ).
    case coreMismatch(path: String, coreHash: String, otherPath: String, otherCoreHash: String)
    /// Two adapters adapt different projections, layers or shapes.
    case layoutMismatch(path: String, otherPath: String, reason: String)
    /// The method needs equal ranks (linear averaging of factors).
    case rankMismatch(path: String, rank: Int, otherPath: String, otherRank: Int, method: String)
    /// DoRA adapters cannot be merged or exported by this module.
    case dora(path: String)
    /// An option is out of range (rank, density, type).
    case badOption(String)
    /// The core could not be read or does not describe a Llama model.
    case core(path: String, reason: String)
    /// The adapter does not fit the core (other core hash, shapes, layer count).
    case adapterDoesNotFitCore(adapter: String, core: String, reason: String)
    /// A merged tensor could not be encoded in the requested type.
    case quantization(tensor: String, reason: String)
    /// Writing the output failed; the destination is unchanged.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadableAdapter(path, reason):
            return "\(path): cannot read the adapter: \(reason)"
        case .noAdapters:
            return "no adapters given"
        case let .badWeights(reason):
            return "bad weights: \(reason)"
        case let .coreMismatch(path, hash, other, otherHash):
            return "\(path) was trained on core \(hash.prefix(16))… but \(other) on core \(otherHash.prefix(16))…; adapters of different cores cannot be merged"
        case let .layoutMismatch(path, other, reason):
            return "\(path) and \(other) do not adapt the same model: \(reason)"
        case let .rankMismatch(path, rank, other, otherRank, method):
            return "\(path) has rank \(rank) but \(other) rank \(otherRank); the \(method) method averages the factors and needs equal ranks (use exact, cat or ties)"
        case let .dora(path):
            return "\(path): DoRA adapters (use_dora) are not supported here"
        case let .badOption(reason):
            return reason
        case let .core(path, reason):
            return "\(path): \(reason)"
        case let .adapterDoesNotFitCore(adapter, core, reason):
            return "\(adapter) does not fit the core \(core): \(reason)"
        case let .quantization(tensor, reason):
            return "\(tensor): cannot encode the merged weights: \(reason)"
        case let .writeFailed(path, reason):
            return "\(path): write failed: \(reason)"
        }
    }
}
