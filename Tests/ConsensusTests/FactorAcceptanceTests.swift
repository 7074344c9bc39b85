import Testing
@testable import Consensus

@Suite("Factor acceptance and local mixing")
struct FactorAcceptanceTests {
    let own: [Float] = [3, 4, 0, 0]  // norm 5

    @Test("honest factors of the same length and a similar norm are accepted")
    func honestAccepted() {
        #expect(FactorAcceptance().check([2, 4, 1, 0], against: own) == nil)
    }

    @Test("NaN, infinity, a wrong length and a 1000x norm are each refused with their reason")
    func hostileRefused() {
        let rule = FactorAcceptance(maxNormRatio: 10, normFloor: 1)
        #expect(rule.check([1, .nan, 0, 0], against: own) == .nonFinite(index: 1))
        #expect(rule.check([1, 0, -.infinity, 0], against: own) == .nonFinite(index: 2))
        #expect(rule.check([1, 2, 3], against: own) == .wrongLength(expected: 4, received: 3))
        #expect(rule.check(own.map { $0 * 1000 }, against: own) == .normTooLarge(norm: 5000, bound: 51))
    }

    @Test("the floor admits small factors while the node's own are still zero")
    func floorAtStart() {
        let zero = [Float](repeating: 0, count: 4)
        #expect(FactorAcceptance(normFloor: 1).check([0.1, 0.2, 0, 0], against: zero) == nil)
        #expect(FactorAcceptance(normFloor: 1).check([10, 0, 0, 0], against: zero) != nil)
    }

    @Test("local mixing with Metropolis weights equals a row of the global mix")
    func localEqualsGlobalRow() {
        let neighbours = Topology.ring.neighbours(count: 5)
        let weights = MixingWeights(neighbours: neighbours)
        var vectors: [[Float]] = (0..<5).map { i in (0..<3).map { Float(i * 3 + $0) } }
        let before = vectors
        Mixing.mix(&vectors, weights: weights)
        for i in 0..<5 {
            let row = weights.weights[i]
            let selfWeight = row.first { $0.0 == i }!.1
            let others = row.filter { $0.0 != i }.map { (values: before[$0.0], weight: $0.1) }
            #expect(Mixing.mixLocal(own: before[i], selfWeight: selfWeight, neighbours: others) == vectors[i])
        }
    }

    @Test("a neighbour's missing weight returned to self keeps the node's mass")
    func missingNeighbourWeightToSelf() {
        let own: [Float] = [1, 1], other: [Float] = [3, 3]
        // Two neighbours of weight 1/3 each; one missed the deadline, its 1/3 goes to self.
        let mixed = Mixing.mixLocal(own: own, selfWeight: 2.0 / 3.0, neighbours: [(values: other, weight: 1.0 / 3.0)])
        #expect(abs(mixed[0] - 5.0 / 3.0) < 1e-6)
        #expect(Mixing.squaredDistance(mixed, [5.0 / 3.0, 5.0 / 3.0]) < 1e-10)
    }
}
