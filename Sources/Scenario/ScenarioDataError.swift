import TrainData

/// Why a scenario's data cannot be built: what is short or unreadable, and what to change.
public enum ScenarioDataError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The generator ran out of new instructions in a domain (the test set takes distinct ones, and
    /// training examples avoid them).
    case tooFewInstructions(domain: String, needed: Int, purpose: String)
    /// A user JSONL file could not be read or holds bad lines.
    case dataset(TrainDataError)
    /// A line of a user file lacks the domain field (or it is not a non-empty string).
    case missingDomain(file: String, line: Int, field: String)
    /// A file to split holds too few examples for the test set and every node.
    case tooFewExamples(file: String, examples: Int, needed: String)

    public var description: String {
        switch self {
        case let .tooFewInstructions(domain, needed, purpose):
            return "the synthetic domain '\(domain)' has too few distinct instructions for \(needed) \(purpose); lower data.test-examples or data.examples-per-node, or drop the domain"
        case let .dataset(error):
            return error.description
        case let .missingDomain(file, line, field):
            return "\(file):\(line): has no string field '\(field)' (data.domain-field): every line needs its domain"
        case let .tooFewExamples(file, examples, needed):
            return "\(file): \(examples) examples are too few: \(needed)"
        }
    }
}
