import Foundation
import SwarmBase
import Tensor

/// How the next token is chosen from logits.
public enum SamplingMode: Sendable, Equatable {
    case greedy
    /// Temperature scaling, then nucleus (top-p) sampling with a seeded generator.
    case temperature(Float, topP: Float, seed: UInt64)
}

/// Picks tokens from logits; deterministic for a given mode and seed.
public struct Sampler: Sendable {
    public let mode: SamplingMode
    private var rng: SeededRandom

    public init(_ mode: SamplingMode) {
        self.mode = mode
        if case let .temperature(_, _, seed) = mode { rng = SeededRandom(seed: seed) } else { rng = SeededRandom(seed: 0) }
    }

    public static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        var best = 0
        var bestValue = -Float.infinity
        for (i, v) in logits.enumerated() where v > bestValue {
            best = i
            bestValue = v
        }
        return Int32(best)
    }

    public mutating func sample(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        switch mode {
        case .greedy:
            return Self.argmax(logits)
        case let .temperature(t, topP, _):
            if t <= 0 { return Self.argmax(logits) }
            let maxLogit = logits.max() ?? 0
            var probs: [(Int, Float)] = []
            probs.reserveCapacity(logits.count)
            var sum: Float = 0
            for (i, l) in logits.enumerated() {
                let p = expf((l - maxLogit) / t)
                sum += p
                probs.append((i, p))
            }
            probs.sort { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
            let cutoff = min(max(topP, 0), 1) * sum
            var kept = 0
            var acc: Float = 0
            while kept < probs.count {
                acc += probs[kept].1
                kept += 1
                if acc >= cutoff { break }
            }
            let r = rng.nextFloat() * acc
            var run: Float = 0
            for j in 0..<kept {
                run += probs[j].1
                if r < run { return Int32(probs[j].0) }
            }
            return Int32(probs[kept - 1].0)
        }
    }
}
