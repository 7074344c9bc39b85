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

/// A tokenized training example (ids and unshifted labels of equal length).
public struct TokenizedExample: Sendable, Hashable {
    public var ids: [Int32]
    public var labels: [Int32]
    /// The dataset line it came from (0 when not from a file).
    public var line: Int

    public init(ids: [Int32], labels: [Int32], line: Int = 0) {
        self.ids = ids
        self.labels = labels
        self.line = line
    }

    /// Tokens the loss covers.
    public var trainableTokenCount: Int { labels.lazy.filter { $0 != ignoredLabel }.count }
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
    /// Renders, tokenizes and truncates every record. Truncation keeps the start of an example
    /// (the prompt) and cuts the end; an example left with no trainable token is dropped and
    /// counted.
    public func prepare(renderer: ChatMLRenderer = .smolLM2, maxSequenceLength: Int,
                        encode: (String) -> [Int32]) throws(TrainDataError) -> PreparedExamples
    {
        guard maxSequenceLength > 0 else {
            throw .invalidParameter(name: "maxSequenceLength", reason: "must be positive, got \(maxSequenceLength)")
        }
        var result = PreparedExamples(examples: [], truncatedCount: 0, droppedCount: 0, droppedLines: [])
        for example in examples {
            var (ids, labels) = tokenize(renderer.segments(for: example.record), encode: encode)
            if ids.count > maxSequenceLength {
                ids.removeSubrange(maxSequenceLength...)
                labels.removeSubrange(maxSequenceLength...)
                result.truncatedCount += 1
            }
            let tokenized = TokenizedExample(ids: ids, labels: labels, line: example.line)
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
