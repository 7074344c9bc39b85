import Tokenizer

/// One training example as token ids with labels: -100 where the loss ignores the position
/// (prompt, padding), the token id where the model should learn to produce it.
public struct TrainingExample: Sendable, Equatable {
    public var ids: [Int32]
    public var labels: [Int32]
    /// The prompt alone (what generation starts from), for exact-match evaluation.
    public var promptCount: Int
    /// The expected completion text, for exact-match evaluation.
    public var expected: String

    public init(ids: [Int32], labels: [Int32], promptCount: Int, expected: String) {
        self.ids = ids
        self.labels = labels
        self.promptCount = promptCount
        self.expected = expected
    }

    public var prompt: [Int32] { Array(ids.prefix(promptCount)) }

    /// Renders an instruction/response pair with the chat template: the user turn and the
    /// assistant header are prompt, the response and its end-of-turn token are learned.
    public static func chat(instruction: String, response: String, template: ChatTemplate,
                            tokenizer: BPETokenizer) -> TrainingExample {
        let prompt = template.render([ChatMessage(role: "user", content: instruction)], addGenerationPrompt: true)
        let p = tokenizer.encode(prompt)
        let r = tokenizer.encode(response + ChatTemplate.messageEnd)
        return TrainingExample(ids: p + r, labels: [Int32](repeating: -100, count: p.count) + r,
                                promptCount: p.count, expected: response)
    }
}

/// Lays examples into fixed [batch × seqLen] arrays: each row holds one example, truncated to
/// seqLen and right-padded (padding is masked out of the loss and, being after every real token,
/// invisible to causal attention).
public struct PaddedBatcher: Sendable {
    public let batch: Int
    public let seqLen: Int
    public let padID: Int32

    public init(batch: Int, seqLen: Int, padID: Int32) {
        self.batch = batch
        self.seqLen = seqLen
        self.padID = padID
    }

    public func make(_ examples: ArraySlice<TrainingExample>) -> (ids: [Int32], labels: [Int32], labelled: Int) {
        var ids = [Int32](repeating: padID, count: batch * seqLen)
        var labels = [Int32](repeating: -100, count: batch * seqLen)
        for (row, e) in examples.prefix(batch).enumerated() {
            let n = min(seqLen, e.ids.count)
            for t in 0..<n {
                ids[row * seqLen + t] = e.ids[t]
                labels[row * seqLen + t] = e.labels[t]
            }
        }
        var labelled = 0
        for b in 0..<batch { for t in 1..<seqLen where labels[b * seqLen + t] != -100 { labelled += 1 } }
        return (ids, labels, labelled)
    }
}
