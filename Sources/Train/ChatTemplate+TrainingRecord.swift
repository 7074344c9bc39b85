import Tokenizer
import TrainData

extension ChatTemplate {
    /// A dataset record as training segments: a conversation rendered by this template, with
    /// each assistant reply (and the `<|im_end|>` that ends it) trainable and everything else
    /// prompt; adjacent pieces of the same kind are merged. Plain text is one trainable segment
    /// without any special token added.
    public func segments(for record: TrainingRecord) -> [Segment] {
        if case .text(let text) = record { return [Segment(text, trainable: true)] }
        var out: [Segment] = []
        for piece in pieces((record.turns ?? []).map { ChatMessage(role: $0.role.rawValue, content: $0.content) }) where !piece.text.isEmpty {
            if let last = out.last, last.trainable == piece.isReply {
                out[out.count - 1].text += piece.text
            } else {
                out.append(Segment(piece.text, trainable: piece.isReply))
            }
        }
        return out
    }

    /// The full text of a record (its segments concatenated).
    public func render(_ record: TrainingRecord) -> String {
        segments(for: record).map(\.text).joined()
    }

    /// A record rendered and tokenized into a training example (not truncated).
    public func example(_ record: TrainingRecord, line: Int = 0, tokenizer: BPETokenizer) -> TokenizedExample {
        let (ids, labels) = tokenize(segments(for: record)) { tokenizer.encode($0) }
        return TokenizedExample(ids: ids, labels: labels, line: line, expected: record.expectedReply)
    }
}
