/// A piece of rendered text and whether the model is trained to produce it.
public struct Segment: Sendable, Hashable {
    public var text: String
    /// True for text the loss covers (assistant replies, plain text); false for the prompt.
    public var trainable: Bool

    public init(_ text: String, trainable: Bool) {
        self.text = text
        self.trainable = trainable
    }
}

/// Renders records into training segments with ChatML, exactly as SmolLM2-Instruct's chat
/// template renders a conversation:
///
///     <|im_start|>system\n{system}<|im_end|>\n      (default system turn, only when the first
///     <|im_start|>user\n{content}<|im_end|>\n        message is not a system message)
///     <|im_start|>assistant\n{content}<|im_end|>\n
///
/// Trainable: each assistant message's content followed by `<|im_end|>` (so the model learns
/// to stop). Prompt: everything else, including the `<|im_start|>assistant\n` header and the
/// newline after `<|im_end|>`. Concatenating the segments' texts gives the template's output.
public struct ChatMLRenderer: Sendable, Hashable {
    /// The system turn put first when a conversation does not start with one; nil for none.
    public var defaultSystemPrompt: String?

    public static let smolLM2DefaultSystemPrompt = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
    /// SmolLM2-Instruct's template.
    public static let smolLM2 = ChatMLRenderer(defaultSystemPrompt: smolLM2DefaultSystemPrompt)

    public static let messageStart = "<|im_start|>"
    public static let messageEnd = "<|im_end|>"

    public init(defaultSystemPrompt: String?) {
        self.defaultSystemPrompt = defaultSystemPrompt
    }

    /// The segments of one record. Instruction records become a user turn (instruction, plus
    /// "\n\n" and the input when the input is non-empty) and an assistant turn (the output).
    /// Text records are one trainable segment, without any special token added.
    public func segments(for record: TrainingRecord) -> [Segment] {
        switch record {
        case let .instruction(instruction, input, output):
            let user = input.isEmpty ? instruction : instruction + "\n\n" + input
            return segments(for: [ChatTurn(role: .user, content: user), ChatTurn(role: .assistant, content: output)])
        case let .chat(turns):
            return segments(for: turns)
        case let .text(text):
            return [Segment(text, trainable: true)]
        }
    }

    /// The segments of a conversation; adjacent segments of the same kind are merged.
    public func segments(for turns: [ChatTurn]) -> [Segment] {
        var out: [Segment] = []
        func append(_ text: String, _ trainable: Bool) {
            guard !text.isEmpty else { return }
            if let last = out.last, last.trainable == trainable {
                out[out.count - 1].text += text
            } else {
                out.append(Segment(text, trainable: trainable))
            }
        }
        if let defaultSystemPrompt, let first = turns.first, first.role != .system {
            append(Self.messageStart + "system\n" + defaultSystemPrompt + Self.messageEnd + "\n", false)
        }
        for turn in turns {
            append(Self.messageStart + turn.role.rawValue + "\n", false)
            if turn.role == .assistant {
                append(turn.content + Self.messageEnd, true)
                append("\n", false)
            } else {
                append(turn.content + Self.messageEnd + "\n", false)
            }
        }
        return out
    }

    /// The full text of a record (the segments concatenated).
    public func render(_ record: TrainingRecord) -> String {
        segments(for: record).map(\.text).joined()
    }
}
