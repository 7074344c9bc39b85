import SwarmBase
import Testing
@testable import TrainData

@Suite struct SplitAndShuffleTests {
    @Test func seededRandomMatchesTheReferenceSequence() {
        // Published outputs of Vigna's splitmix64.c for seed 1234567 seed xoshiro256**'s state;
        // the expected draws come from the reference xoshiro256** step applied to that state.
        var state: [UInt64] = [6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423, 4_593_380_528_125_082_431]
        func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
        var expected: [UInt64] = []
        for _ in 0..<5 {
            expected.append(rotl(state[1] &* 5, 7) &* 9)
            let t = state[1] << 17
            state[2] ^= state[0]; state[3] ^= state[1]; state[1] ^= state[2]; state[0] ^= state[3]
            state[2] ^= t
            state[3] = rotl(state[3], 45)
        }
        var rng = SeededRandom(seed: 1_234_567)
        #expect((0..<5).map { _ in rng.next() } == expected)
    }

    @Test func boundedDrawsStayInRangeAndCoverIt() {
        var rng = SeededRandom(seed: 5)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<7000 { counts[rng.below(7)] += 1 }
        #expect(counts.allSatisfy { $0 > 850 && $0 < 1150 }, "\(counts)")
        #expect((0..<100).allSatisfy { _ in rng.below(1) == 0 })
    }

    @Test func shuffleIsAReproduciblePermutation() {
        var first = Array(0..<100), second = Array(0..<100), other = Array(0..<100)
        var a = SeededRandom(seed: 9), b = SeededRandom(seed: 9), c = SeededRandom(seed: 10)
        a.shuffle(&first)
        b.shuffle(&second)
        c.shuffle(&other)
        #expect(first == second)
        #expect(first != other)
        #expect(first.sorted() == Array(0..<100))
        #expect(first != Array(0..<100))
    }

    @Test func splitIsDeterministicDisjointAndComplete() throws {
        let items = Array(0..<101)
        for size in [EvalSize.fraction(0.1), .fraction(0.5), .count(7), .count(0), .fraction(1)] {
            let (train, eval) = try DatasetSplit.split(items, eval: size, seed: 42)
            let again = try DatasetSplit.split(items, eval: size, seed: 42)
            #expect(train == again.train && eval == again.eval)
            #expect(Set(train).isDisjoint(with: eval))
            #expect((train + eval).sorted() == items)
            #expect(train == train.sorted() && eval == eval.sorted(), "original order kept")
            switch size {
            case .fraction(let f): #expect(eval.count == Int((f * 101).rounded()))
            case .count(let n): #expect(eval.count == n)
            }
        }
        let a = try DatasetSplit.split(items, eval: .count(10), seed: 1).eval
        let b = try DatasetSplit.split(items, eval: .count(10), seed: 2).eval
        #expect(a != b)
        // Not simply the first or last items.
        #expect(a != Array(0..<10) && a != Array(91..<101))
    }

    @Test func invalidSplitSizesAreRefused() {
        for size in [EvalSize.fraction(-0.1), .fraction(1.5), .fraction(.nan), .count(-1), .count(11)] {
            #expect(throws: TrainDataError.self) { try DatasetSplit.split(Array(0..<10), eval: size, seed: 0) }
        }
    }
}
