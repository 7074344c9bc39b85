import SwarmBase

/// The geometry and policy of training batches.
public struct BatchingOptions: Sendable, Hashable {
    /// Rows per batch.
    public var batchSize: Int
    /// Tokens per row.
    public var sequenceLength: Int
    /// The id written into unused positions (their labels are -100).
    public var padID: Int32
    /// Pack several examples into one row (see `Batcher`); otherwise one example per row.
    public var packing: Bool
    /// Drop a final batch that has fewer real rows than `batchSize`; otherwise it is completed
    /// with all-padding rows.
    public var dropLast: Bool

    public init(batchSize: Int, sequenceLength: Int, padID: Int32, packing: Bool = false, dropLast: Bool = false) {
        self.batchSize = batchSize
        self.sequenceLength = sequenceLength
        self.padID = padID
        self.packing = packing
        self.dropLast = dropLast
    }
}

/// One [batchSize x sequenceLength] batch, row-major.
public struct Batch: Sendable, Hashable {
    public var batchSize: Int
    public var sequenceLength: Int
    /// Token ids; padding positions hold the pad id.
    public var ids: [Int32]
    /// Unshifted labels (see `tokenize`): -100 on prompt, padding, and each example's first token.
    public var labels: [Int32]
    /// Real (non-padding) tokens in each row; padding always follows them.
    public var rowLengths: [Int]
    /// Where each example starts inside its row (one entry per example; [0] without packing,
    /// [] for an all-padding row).
    public var exampleStarts: [[Int]]
    /// The dataset lines of the examples in this batch, row by row.
    public var lines: [Int]

    /// Positions the loss covers.
    public var trainableTokenCount: Int { labels.lazy.filter { $0 != ignoredLabel }.count }
}

extension Batch {
    /// A batch of `options.batchSize` rows holding `rows[r]`'s examples one after another in
    /// row r (cut at the row's end), padding after them and in rows past `rows`. Each example's
    /// first token is unlabelled: nothing of its own example precedes it.
    init(rows: [[TokenizedExample]], options: BatchingOptions) {
        let (b, t) = (options.batchSize, options.sequenceLength)
        self.init(batchSize: b, sequenceLength: t,
                  ids: [Int32](repeating: options.padID, count: b * t),
                  labels: [Int32](repeating: ignoredLabel, count: b * t),
                  rowLengths: [Int](repeating: 0, count: b),
                  exampleStarts: [[Int]](repeating: [], count: b), lines: [])
        for (r, row) in rows.prefix(b).enumerated() {
            var position = 0
            for example in row where position < t {
                let base = r * t + position
                let count = min(example.ids.count, t - position)
                for k in 0..<count {
                    ids[base + k] = example.ids[k]
                    labels[base + k] = k == 0 ? ignoredLabel : example.labels[k]
                }
                exampleStarts[r].append(position)
                lines.append(example.line)
                position += count
            }
            rowLengths[r] = position
        }
    }

    /// One example per row, in order, each cut to the row length: the trainer's batches, whose
    /// examples it picks itself (up to `options.batchSize`; later rows are padding).
    public init(examples: some Collection<TokenizedExample>, options: BatchingOptions) {
        self.init(rows: examples.map { [$0] }, options: options)
    }
}

/// Turns tokenized examples into fixed-shape batches, in an order shuffled per epoch.
///
/// Each example's first token is unlabelled in a batch: nothing of its own example precedes
/// it, so there is nothing to predict it from. Without packing each row holds one example
/// followed by padding. With packing, examples are placed whole, in the epoch's order, into
/// the current row while they fit, and a new row starts when one does not (no example is
/// split). Attention inside a packed row is plain causal attention, so tokens of a later
/// example attend to earlier examples in the same row (naive packing); `exampleStarts` tells a
/// model where the boundaries are if it wants to mask them. Positions are not reset.
public struct Batcher: Sendable {
    public let options: BatchingOptions
    public let examples: [TokenizedExample]
    public let seed: UInt64

    /// Checks the options and that every example fits a row (prepare with
    /// `maxSequenceLength` = `sequenceLength`).
    public init(examples: [TokenizedExample], options: BatchingOptions, seed: UInt64) throws(TrainDataError) {
        guard options.batchSize > 0 else { throw .invalidParameter(name: "batchSize", reason: "must be positive, got \(options.batchSize)") }
        guard options.sequenceLength > 1 else {
            throw .invalidParameter(name: "sequenceLength", reason: "must be at least 2, got \(options.sequenceLength)")
        }
        for (i, example) in examples.enumerated() {
            guard example.ids.count == example.labels.count else {
                throw .invalidExample(index: i, reason: "\(example.ids.count) ids but \(example.labels.count) labels")
            }
            guard !example.ids.isEmpty, example.ids.count <= options.sequenceLength else {
                throw .invalidExample(index: i, reason: "\(example.ids.count) tokens; a row holds 1...\(options.sequenceLength)")
            }
        }
        self.options = options
        self.examples = examples
        self.seed = seed
    }

    /// The example order of `epoch`: a permutation of all examples, fixed by (seed, epoch).
    public func order(epoch: Int) -> [Int] { Self.order(count: examples.count, seed: seed, epoch: epoch) }

    /// A permutation of 0..<count fixed by (seed, epoch), computed directly: any epoch's order
    /// costs O(count), whatever came before (a resumed trainer starts mid-run at no extra cost).
    public static func order(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var order = Array(0..<max(0, count))
        var rng = SeededRandom.derived(seed: seed, stream: 0xE90C_0000 &+ UInt64(truncatingIfNeeded: epoch))
        rng.shuffle(&order)
        return order
    }

    /// All batches of `epoch`.
    public func batches(epoch: Int) -> [Batch] {
        let rows = self.rows(order(epoch: epoch))
        var batches: [Batch] = []
        var start = 0
        while start < rows.count {
            let group = Array(rows[start..<min(start + options.batchSize, rows.count)])
            start += options.batchSize
            if group.count < options.batchSize && options.dropLast { break }
            batches.append(makeBatch(group))
        }
        return batches
    }

    /// Example indices per row.
    private func rows(_ order: [Int]) -> [[Int]] {
        guard options.packing else { return order.map { [$0] } }
        var rows: [[Int]] = []
        var current: [Int] = []
        var used = 0
        for index in order {
            let length = examples[index].ids.count
            if used + length > options.sequenceLength && !current.isEmpty {
                rows.append(current)
                current = []
                used = 0
            }
            current.append(index)
            used += length
        }
        if !current.isEmpty { rows.append(current) }
        return rows
    }

    private func makeBatch(_ rows: [[Int]]) -> Batch {
        Batch(rows: rows.map { $0.map { examples[$0] } }, options: options)
    }
}
