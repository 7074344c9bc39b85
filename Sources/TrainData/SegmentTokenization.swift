/// A piece of rendered text and whether the model is trained to produce it. A chat template
/// (Tokenizer's `ChatTemplate`) renders records into segments; concatenated, their texts are
/// the template's rendering.
public struct Segment: Sendable, Hashable {
    public var text: String
    /// True for text the loss covers (assistant replies, plain text); false for the prompt.
    public var trainable: Bool

    public init(_ text: String, trainable: Bool) {
        self.text = text
        self.trainable = trainable
    }
}

/// The label of a token the loss ignores (prompt, padding), as in PyTorch's cross-entropy.
public let ignoredLabel: Int32 = -100

/// Encodes segments with an injected tokenizer and labels them for the loss.
///
/// Label convention (not shifted): `labels[t]` refers to `ids[t]`. The loss at position t is
/// the model's prediction of `ids[t]` from `ids[..<t]` (the logits computed at t-1), counted
/// only when `labels[t] != -100`. Prompt tokens get -100, trainable tokens their own id.
///
/// Each segment is encoded on its own, so no token spans a prompt/trainable boundary. With
/// ChatML the boundaries sit next to `<|im_start|>`/`<|im_end|>` or a newline, where a
/// byte-level BPE splits anyway; `encode` must map those markers to their special tokens.
public func tokenize(_ segments: [Segment], encode: (String) -> [Int32]) -> (ids: [Int32], labels: [Int32]) {
    var ids: [Int32] = []
    var labels: [Int32] = []
    for segment in segments {
        let tokens = encode(segment.text)
        ids.append(contentsOf: tokens)
        if segment.trainable {
            labels.append(contentsOf: tokens)
        } else {
            labels.append(contentsOf: repeatElement(ignoredLabel, count: tokens.count))
        }
    }
    return (ids, labels)
}

/// The one training example of the project: token ids with unshifted labels of equal length
/// (see `tokenize`), where it came from, and the reply exact-match evaluation expects.
public struct TokenizedExample: Sendable, Hashable {
    public var ids: [Int32]
    public var labels: [Int32]
    /// The dataset line it came from (0 when not from a file).
    public var line: Int
    /// The reply a model given `prompt` should produce (the record's first assistant reply);
    /// empty when the record has none (plain text).
    public var expected: String

    public init(ids: [Int32], labels: [Int32], line: Int = 0, expected: String = "") {
        self.ids = ids
        self.labels = labels
        self.line = line
        self.expected = expected
    }

    /// Tokens the loss covers.
    public var trainableTokenCount: Int { labels.lazy.filter { $0 != ignoredLabel }.count }

    /// Tokens before the first trained one: what generation starts from in exact-match
    /// evaluation (0 for plain text, which is trained from its first token).
    public var promptCount: Int { labels.firstIndex { $0 != ignoredLabel } ?? ids.count }

    /// The prompt's ids.
    public var prompt: [Int32] { Array(ids.prefix(promptCount)) }
}

/// Examples ready for batching, with what preparing them cost.
public struct PreparedExamples: Sendable, Hashable {
    public var examples: [TokenizedExample]
    /// Examples cut to the maximum sequence length (including those then dropped).
    public var truncatedCount: Int
    /// Examples dropped because no trainable token was left (after truncation, or at all).
    public var droppedCount: Int
    /// The dataset lines of the dropped examples, for a warning.
    public var droppedLines: [Int]
}

extension Dataset {
    /// Renders (with `segments`, a chat template's rendering of a record), tokenizes and
    /// truncates every record. Truncation keeps the start of an example (the prompt) and cuts
    /// the end; an example left with no trainable token is dropped and counted.
    public func prepare(maxSequenceLength: Int, segments: (TrainingRecord) -> [Segment],
                        encode: (String) -> [Int32]) throws(TrainDataError) -> PreparedExamples
    {
        try PreparedExamples.prepare(examples, maxSequenceLength: maxSequenceLength, segments: segments, encode: encode)
    }
}

extension PreparedExamples {
    /// `Dataset.prepare` over examples from anywhere (a simulator's records): the one rule every
    /// node and every backend turns records into training examples by.
    public static func prepare(_ examples: [DatasetExample], maxSequenceLength: Int, segments: (TrainingRecord) -> [Segment],
                               encode: (String) -> [Int32]) throws(TrainDataError) -> PreparedExamples
    {
        guard maxSequenceLength > 0 else {
            throw .invalidParameter(name: "maxSequenceLength", reason: "must be positive, got \(maxSequenceLength)")
        }
        var result = PreparedExamples(examples: [], truncatedCount: 0, droppedCount: 0, droppedLines: [])
        for example in examples {
            var (ids, labels) = tokenize(segments(example.record), encode: encode)
            if ids.count > maxSequenceLength {
                ids.removeSubrange(maxSequenceLength...)
                labels.removeSubrange(maxSequenceLength...)
                result.truncatedCount += 1
            }
            let tokenized = TokenizedExample(ids: ids, labels: labels, line: example.line, expected: example.record.expectedReply)
            if tokenized.trainableTokenCount == 0 {
                result.droppedCount += 1
                result.droppedLines.append(example.line)
            } else {
                result.examples.append(tokenized)
            }
        }
        return result
    }
}
