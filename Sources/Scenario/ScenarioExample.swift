import TrainData

/// One example a scenario trains or tests on, with its domain when known.
public struct ScenarioExample: Sendable, Hashable {
    /// The synthetic domain, or the user data's domain field; nil when the data has none.
    public var domain: String?
    public var record: TrainingRecord

    public init(domain: String?, record: TrainingRecord) {
        self.domain = domain
        self.record = record
    }

    /// What the model is asked: the key that keeps the test set apart from training data.
    /// An instruction record's instruction and input; a chat's turns before its last assistant
    /// reply; a text record's whole text.
    public var prompt: String {
        switch record {
        case let .instruction(instruction, input, _):
            return input.isEmpty ? instruction : instruction + "\n" + input
        case let .chat(turns):
            let end = turns.lastIndex { $0.role == .assistant } ?? turns.count
            return turns[..<end].map { "\($0.role.rawValue): \($0.content)" }.joined(separator: "\n")
        case let .text(text):
            return text
        }
    }
}
