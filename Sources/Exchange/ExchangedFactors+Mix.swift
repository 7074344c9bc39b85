import Consensus
import Gossip
import LM

/// How far a node's mixed adapter is from the exact weighted mean of the updates it mixed:
/// with M_s = w_ii·B_i·A_i + Σ_j w_ij·B_j·A_j per slot s (over itself and the neighbours mixed,
/// before the mix) and (B'_s, A'_s) its factors after the mix,
/// `absolute` = √(Σ_s ‖M_s − B'_s·A'_s‖²_F) and `exactNorm` = √(Σ_s ‖M_s‖²_F) (the LoRA scale left
/// out: it is the same on every node). `factors` mode leaves the cross terms of averaging A and B
/// separately; `frozen-a` is exact (0 up to Float rounding, A being the same on every node);
/// `product` leaves only the truncation to rank r, the smallest gap any rank-r result can have.
public struct ProductGap: Sendable, Equatable {
    public var absolute: Double
    public var exactNorm: Double

    public init(absolute: Double, exactNorm: Double) {
        self.absolute = absolute
        self.exactNorm = exactNorm
    }

    /// absolute / exactNorm (0 when the mean update is 0).
    public var relative: Double { exactNorm > 0 ? absolute / exactNorm : 0 }
}

extension ExchangedFactors {
    /// The mix of a gossip round in this schema's mode, over exchanged vectors (`own` is this
    /// node's, `parameters` its adapter, which supplies A in `frozen-a`), and its product gap.
    ///
    /// `factors` and `frozen-a` average the exchanged values element-wise (`Mixing.mixLocal`);
    /// `product` averages the products B·A per slot and re-factorises them (`ProductMix`), and
    /// averages DoRA magnitudes element-wise.
    public func mix(own: [Float], selfWeight: Double, neighbours: [(values: [Float], weight: Double)],
                    parameters: LoRAParameters) -> (mixed: [Float], gap: ProductGap)
    {
        var mixed = Mixing.mixLocal(own: own, selfWeight: selfWeight, neighbours: neighbours)
        var absolute = 0.0, exact = 0.0
        for ranges in slots {
            let mine = factors(of: own, ranges, parameters: parameters)
            let theirs = neighbours.map { (factors: factors(of: $0.values, ranges, parameters: parameters), weight: $0.weight) }
            var result = factors(of: mixed, ranges, parameters: parameters)
            if mode == .product {
                result = ProductMix.mix(own: mine, selfWeight: selfWeight, neighbours: theirs)
                mixed.replaceSubrange(ranges.a!, with: result.a)
                mixed.replaceSubrange(ranges.bt, with: result.bt)
            }
            let gap = ProductMix.gap(of: result, own: mine, selfWeight: selfWeight, neighbours: theirs)
            absolute += gap.absolute * gap.absolute
            exact += gap.exactNorm * gap.exactNorm
        }
        return (mixed, ProductGap(absolute: absolute.squareRoot(), exactNorm: exact.squareRoot()))
    }

    /// The squared distance between two nodes' exchanged vectors, as the consensus estimate
    /// measures it: element-wise in `factors` and `frozen-a` mode (‖θ_x − θ_y‖²); in `product`
    /// mode between the updates, Σ_s ‖B_x·A_x − B_y·A_y‖²_F (plus the DoRA magnitudes'
    /// element-wise distance), since there factors agreeing up to a basis change are in consensus.
    public func squaredDistance(_ x: [Float], _ y: [Float], parameters: LoRAParameters) -> Double {
        guard mode == .product else { return Mixing.squaredDistance(x, y) }
        var sum = 0.0
        for ranges in slots {
            sum += ProductMix.squaredDistance(factors(of: x, ranges, parameters: parameters),
                                              factors(of: y, ranges, parameters: parameters))
            if let m = ranges.magnitude { sum += Mixing.squaredDistance(Array(x[m]), Array(y[m])) }
        }
        return sum
    }

    /// One slot's factors in an exchanged vector; A from `parameters` when it is not exchanged.
    func factors(of vector: [Float], _ ranges: SlotRanges, parameters: LoRAParameters) -> SlotFactors {
        let s = ranges.slot
        let a = ranges.a.map { Array(vector[$0]) }
            ?? Array(UnsafeBufferPointer(start: parameters.a(s), count: rank * s.inputs))
        return SlotFactors(rank: rank, inputs: s.inputs, outputs: s.outputs, a: a, bt: Array(vector[ranges.bt]))
    }
}
