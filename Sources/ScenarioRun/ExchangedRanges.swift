import Gossip
import LM

/// Which ranges of a node's `LoRAParameters.values` a gossip round exchanges in an averaging mode:
/// every factor (A, Bᵀ and DoRA magnitudes) in `factors` mode, only Bᵀ in `frozen-a` mode (A stays as
/// the swarm seed drew it on every node). The same selection as the node runtime's
/// `SwarmNode.ExchangedFactors`, kept here without its wire naming so the simulator needs no
/// network-side module.
struct ExchangedRanges: Sendable {
    let ranges: [Range<Int>]
    /// Number of exchanged values.
    let count: Int
    /// The ranges of A factors (trained nowhere in `frozen-a` mode).
    let frozen: [Range<Int>]

    init(layout p: LoRAParameters, mode: AveragingMode) {
        var ranges: [Range<Int>] = []
        var frozen: [Range<Int>] = []
        let rank = p.config.rank
        for s in p.slots {
            let a = s.aOffset..<(s.aOffset + rank * s.inputs)
            if mode == .frozenA { frozen.append(a) } else { ranges.append(a) }
            ranges.append(s.btOffset..<(s.btOffset + rank * s.outputs))
            if let m = s.magnitudeOffset, mode != .frozenA { ranges.append(m..<(m + s.outputs)) }
        }
        self.ranges = ranges
        self.frozen = frozen
        count = ranges.reduce(0) { $0 + $1.count }
    }

    /// The exchanged values of `p`, concatenated.
    func vector(of p: LoRAParameters) -> [Float] {
        var out = [Float]()
        out.reserveCapacity(count)
        for r in ranges { out.append(contentsOf: UnsafeBufferPointer(start: p.values.pointer + r.lowerBound, count: r.count)) }
        return out
    }

    /// Writes an exchanged vector back into `p` (the rest is left as it is).
    func write(_ v: [Float], into p: LoRAParameters) {
        precondition(v.count == count, "an exchanged vector of this layout")
        var at = 0
        v.withUnsafeBufferPointer { b in
            for r in ranges {
                (p.values.pointer + r.lowerBound).update(from: b.baseAddress! + at, count: r.count)
                at += r.count
            }
        }
    }
}
