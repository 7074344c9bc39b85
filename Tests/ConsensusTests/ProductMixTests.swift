import Testing
@testable import Consensus

/// The `product` averaging mode on one slot, against a dense reference built independently of the
/// low-rank SVD path (M formed entry by entry, its top subspace by orthogonal iteration on MᵀM).
@Suite struct ProductMixTests {
    /// A small deterministic generator (splitmix64) for test inputs in [-1, 1).
    struct Generator {
        var state: UInt64
        mutating func next() -> Float {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Float(Double(z >> 11) * 0x1p-52 - 1)
        }
        mutating func factors(rank: Int, inputs: Int, outputs: Int) -> SlotFactors {
            SlotFactors(rank: rank, inputs: inputs, outputs: outputs,
                        a: (0..<(rank * inputs)).map { _ in next() }, bt: (0..<(rank * outputs)).map { _ in next() })
        }
    }

    /// B·A as a dense row-major outputs x inputs array, in Double.
    static func product(_ f: SlotFactors) -> [Double] {
        var out = [Double](repeating: 0, count: f.outputs * f.inputs)
        for o in 0..<f.outputs { for i in 0..<f.inputs { for k in 0..<f.rank {
            out[o * f.inputs + i] += Double(f.bt[k * f.outputs + o]) * Double(f.a[k * f.inputs + i])
        } } }
        return out
    }

    /// Σ w_j B_j A_j, dense.
    static func mean(_ inputs: [(SlotFactors, Double)]) -> [Double] {
        var m = [Double](repeating: 0, count: inputs[0].0.outputs * inputs[0].0.inputs)
        for (f, w) in inputs { for (k, x) in product(f).enumerated() { m[k] += w * x } }
        return m
    }

    /// The best rank-`rank` approximation of a dense rows x cols matrix: M·V·Vᵀ with V the top
    /// eigenvectors of MᵀM by orthogonal iteration (Gram-Schmidt every step).
    static func truncated(_ m: [Double], rows: Int, cols: Int, rank: Int) -> [Double] {
        var g = [Double](repeating: 0, count: cols * cols)
        for i in 0..<cols { for j in 0..<cols { for r in 0..<rows { g[i * cols + j] += m[r * cols + i] * m[r * cols + j] } } }
        var v: [[Double]] = []
        for k in 0..<rank { v.append((0..<cols).map { c in Double((c * 7 + k * 3) % 11) - 5 }) }
        for _ in 0..<3000 {
            for k in 0..<rank {
                var x = [Double](repeating: 0, count: cols)
                for i in 0..<cols { for j in 0..<cols { x[i] += g[i * cols + j] * v[k][j] } }
                for j in 0..<k {
                    var d = 0.0
                    for c in 0..<cols { d += x[c] * v[j][c] }
                    for c in 0..<cols { x[c] -= d * v[j][c] }
                }
                var n = 0.0
                for c in 0..<cols { n += x[c] * x[c] }
                n = n.squareRoot()
                v[k] = x.map { $0 / n }
            }
        }
        var out = [Double](repeating: 0, count: rows * cols)
        for r in 0..<rows {
            for k in 0..<rank {
                var mv = 0.0
                for c in 0..<cols { mv += m[r * cols + c] * v[k][c] }
                for c in 0..<cols { out[r * cols + c] += mv * v[k][c] }
            }
        }
        return out
    }

    static func distance(_ x: [Double], _ y: [Double]) -> Double {
        zip(x, y).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
    }

    static func norm(_ x: [Double]) -> Double { x.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    @Test("the product mix of random rank-r adapters is the truncated SVD of Σ w_j B_j A_j")
    func mixIsTruncatedMeanOfProducts() {
        var g = Generator(state: 7)
        let rank = 2, inputs = 7, outputs = 9
        let own = g.factors(rank: rank, inputs: inputs, outputs: outputs)
        let neighbours = [(g.factors(rank: rank, inputs: inputs, outputs: outputs), 0.25),
                          (g.factors(rank: rank, inputs: inputs, outputs: outputs), 0.35)]
        let mixed = ProductMix.mix(own: own, selfWeight: 0.4, neighbours: neighbours.map { (factors: $0.0, weight: $0.1) })
        #expect(mixed.rank == rank && mixed.a.count == rank * inputs && mixed.bt.count == rank * outputs)
        let reference = Self.truncated(Self.mean([(own, 0.4)] + neighbours), rows: outputs, cols: inputs, rank: rank)
        let error = Self.distance(Self.product(mixed), reference) / Self.norm(reference)
        // The factors are Float: agreement to a few Float ulps of the product.
        #expect(error < 1e-6, "relative distance to the reference \(error)")
    }

    @Test("the product gap of the mix is the energy the truncation drops, below the factors-mode gap")
    func gapIsTruncationErrorAndBeatsFactorAveraging() {
        var g = Generator(state: 21)
        let rank = 2, inputs = 6, outputs = 8
        let own = g.factors(rank: rank, inputs: inputs, outputs: outputs)
        let other = g.factors(rank: rank, inputs: inputs, outputs: outputs)
        let neighbours = [(factors: other, weight: 0.5)]
        let mixed = ProductMix.mix(own: own, selfWeight: 0.5, neighbours: neighbours)
        let gap = ProductMix.gap(of: mixed, own: own, selfWeight: 0.5, neighbours: neighbours)
        let m = Self.mean([(own, 0.5), (other, 0.5)])
        let dropped = Self.distance(m, Self.truncated(m, rows: outputs, cols: inputs, rank: rank))
        #expect(abs(gap.absolute - dropped) < 1e-6 * Self.norm(m), "gap \(gap.absolute), dropped \(dropped)")
        #expect(abs(gap.exactNorm - Self.norm(m)) < 1e-12 * Self.norm(m))
        // Averaging A and B separately is another rank-r result: its gap cannot be smaller.
        let averaged = SlotFactors(rank: rank, inputs: inputs, outputs: outputs,
                                   a: zip(own.a, other.a).map { ($0 + $1) / 2 }, bt: zip(own.bt, other.bt).map { ($0 + $1) / 2 })
        let factorsGap = ProductMix.gap(of: averaged, own: own, selfWeight: 0.5, neighbours: neighbours)
        #expect(gap.absolute < factorsGap.absolute)
    }

    @Test("mixing identical adapters keeps their product, and leaves balanced factors as they are")
    func identicalInputsAreANoOp() {
        var g = Generator(state: 5)
        let x = g.factors(rank: 3, inputs: 5, outputs: 6)
        let copies = [(factors: x, weight: 0.3), (factors: x, weight: 0.3)]
        let once = ProductMix.mix(own: x, selfWeight: 0.4, neighbours: copies)
        let px = Self.product(x)
        #expect(Self.distance(Self.product(once), px) < 1e-6 * Self.norm(px))
        #expect(ProductMix.gap(of: once, own: x, selfWeight: 0.4, neighbours: copies).absolute < 1e-6 * Self.norm(px))
        // A second mix of the (now balanced, aligned) result does not move the factors.
        let twice = ProductMix.mix(own: once, selfWeight: 0.4, neighbours: [(once, 0.3), (once, 0.3)])
        let moved = zip(twice.a + twice.bt, once.a + once.bt).map { abs($0 - $1) }.max()!
        let size = (once.a + once.bt).map { abs($0) }.max()!
        #expect(moved < 1e-5 * size, "factors moved by \(moved) (largest entry \(size))")
    }

    @Test("directions the mean lacks keep the node's own A with a zero B, so they can still learn")
    func missingDirectionsKeepOwnA() {
        var g = Generator(state: 9)
        var own = g.factors(rank: 2, inputs: 5, outputs: 4)
        own.bt = [Float](repeating: 0, count: own.bt.count)   // B = 0: a fresh LoRA, ΔW = 0
        let mixed = ProductMix.mix(own: own, selfWeight: 0.5, neighbours: [(own, 0.5)])
        #expect(mixed.bt.allSatisfy { $0 == 0 })
        let moved = zip(mixed.a, own.a).map { abs($0 - $1) }.max()!
        #expect(moved < 1e-6, "A moved by \(moved)")
    }
}
