import Testing
@testable import Consensus

@Suite struct MixingTests {
    @Test(arguments: [Topology.ring, .full, .regular(k: 4)])
    func metropolisWeightsAreSymmetricAndDoublyStochastic(topology: Topology) {
        for n in [1, 2, 3, 5, 8] {
            let m = MixingWeights(neighbours: topology.neighbours(count: n)).matrix
            for i in 0..<n {
                #expect(abs(m[i].reduce(0, +) - 1) < 1e-12)
                #expect(abs((0..<n).reduce(0.0) { $0 + m[$1][i] } - 1) < 1e-12)
                for j in 0..<n { #expect(m[i][j] == m[j][i]); #expect(m[i][j] >= 0) }
            }
        }
    }

    @Test func ringNeighboursAreTheTwoAdjacentNodes() {
        #expect(Topology.ring.neighbours(count: 5)[0] == [1, 4])
        #expect(Topology.ring.neighbours(count: 2) == [[1], [0]])
        #expect(Topology.full.neighbours(count: 4)[2] == [0, 1, 3])
        #expect(Topology(name: "regular-4") == .regular(k: 4))
        #expect(Topology(name: "regular-3") == nil)
    }

    @Test func mixingKeepsTheMeanAndContractsTheSpread() {
        var vectors: [[Float]] = (0..<6).map { i in (0..<5).map { Float(i * 7 + $0 * $0) } }
        let mean = Mixing.mean(vectors)
        let weights = MixingWeights(neighbours: Topology.ring.neighbours(count: 6))
        var last = Mixing.consensusDistance(vectors)
        for _ in 0..<60 {
            Mixing.mix(&vectors, weights: weights)
            let d = Mixing.consensusDistance(vectors)
            #expect(d <= last + 1e-6)
            last = d
            for (a, b) in zip(Mixing.mean(vectors), mean) { #expect(abs(a - b) < 1e-3) }
        }
        #expect(last < 1e-2 * Mixing.consensusDistance((0..<6).map { i in (0..<5).map { Float(i * 7 + $0 * $0) } }))
    }

    @Test func fullTopologyReachesTheMeanInOneRound() {
        var vectors: [[Float]] = [[0, 4], [2, 0], [4, 2]]
        Mixing.mix(&vectors, weights: MixingWeights(neighbours: Topology.full.neighbours(count: 3)))
        for v in vectors { #expect(abs(v[0] - 2) < 1e-6 && abs(v[1] - 2) < 1e-6) }
        #expect(Mixing.consensusDistance(vectors) < 1e-10)
    }
}
