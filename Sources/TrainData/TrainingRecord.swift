/// The roles SmolLM2's chat template knows.
public enum ChatRole: String, Sendable, Hashable, CaseIterable {
    case system, user, assistant
}

/// One message of a chat record.
public struct ChatTurn: Sendable, Hashable {
    public var role: ChatRole
    public var content: String

    public init(role: ChatRole, content: String) {
        self.role = role
        self.content = content
    }
}

/// The three record shapes of a JSONL dataset; one file holds one shape.
public enum RecordShape: String, Sendable, Hashable {
    /// `{"instruction": ..., "input": ... (optional), "output": ...}`
    case instruction
    /// `{"messages": [{"role": ..., "content": ...}, ...]}`
    case chat
    /// `{"text": ...}`
    case text
}

/// One training example as written in the dataset.
public enum TrainingRecord: Sendable, Hashable {
    case instruction(instruction: String, input: String, output: String)
    case chat([ChatTurn])
    case text(String)

    public var shape: RecordShape {
        switch self {
        case .instruction: return .instruction
        case .chat: return .chat
        case .text: return .text
        }
    }

    /// The conversation a chat template renders: an instruction record is a user turn (the
    /// instruction, plus "\n\n" and the input when the input is non-empty) and an assistant
    /// turn (the output); nil for plain text, which is trained on as it is.
    public var turns: [ChatTurn]? {
        switch self {
        case let .instruction(instruction, input, output):
            let user = input.isEmpty ? instruction : instruction + "\n\n" + input
            return [ChatTurn(role: .user, content: user), ChatTurn(role: .assistant, content: output)]
        case let .chat(turns):
            return turns
        case .text:
            return nil
        }
    }

    /// The reply that follows the prompt (everything before the first assistant turn): what
    /// exact-match evaluation compares a greedy generation with. Empty for plain text.
    public var expectedReply: String {
        turns?.first { $0.role == .assistant }?.content ?? ""
    }
}

/// A record and where it came from.
public struct DatasetExample: Sendable, Hashable {
    /// 1-based line number in the file.
    public var line: Int
    public var record: TrainingRecord

    public init(line: Int, record: TrainingRecord) {
        self.line = line
        self.record = record
    }
}
