import SwarmBase

/// How much of a dataset to hold out for evaluation.
public enum EvalSize: Sendable, Hashable {
    /// A fraction in [0, 1] of the examples, rounded to the nearest count.
    case fraction(Double)
    /// An exact number of examples (at most the dataset size).
    case count(Int)
}

/// A deterministic train/eval split.
public enum DatasetSplit {
    /// Splits `items` into disjoint train and eval parts chosen by `seed`. Both parts keep the
    /// items' original order; the same items, size and seed always give the same split.
    public static func split<T>(_ items: [T], eval size: EvalSize, seed: UInt64) throws(TrainDataError) -> (train: [T], eval: [T]) {
        let evalCount: Int
        switch size {
        case .fraction(let f):
            guard f.isFinite, f >= 0, f <= 1 else {
                throw .invalidParameter(name: "eval fraction", reason: "must be between 0 and 1, got \(f)")
            }
            evalCount = Int((f * Double(items.count)).rounded())
        case .count(let n):
            guard n >= 0, n <= items.count else {
                throw .invalidParameter(name: "eval count", reason: "must be between 0 and the \(items.count) examples, got \(n)")
            }
            evalCount = n
        }
        var order = Array(items.indices)
        var rng = SeededRandom.derived(seed: seed, stream: 0x5B1)
        rng.shuffle(&order)
        var isEval = [Bool](repeating: false, count: items.count)
        for i in order.prefix(evalCount) { isEval[i] = true }
        var train: [T] = [], eval: [T] = []
        train.reserveCapacity(items.count - evalCount)
        eval.reserveCapacity(evalCount)
        for (i, item) in items.enumerated() {
            if isEval[i] { eval.append(item) } else { train.append(item) }
        }
        return (train, eval)
    }
}

extension Dataset {
    /// The dataset split into train and eval parts (see `DatasetSplit.split`); both keep this
    /// dataset's path and shape, and records keep their line numbers.
    public func split(eval size: EvalSize, seed: UInt64) throws(TrainDataError) -> (train: Dataset, eval: Dataset) {
        let (train, eval) = try DatasetSplit.split(examples, eval: size, seed: seed)
        return (Dataset(path: path, shape: shape, examples: train), Dataset(path: path, shape: shape, examples: eval))
    }
}
