import Testing
@testable import Quant

@Suite struct QuantizationErrorStatsTests {
    static func stats(_ x: [Float], _ y: [Float]) throws -> QuantizationErrorStats {
        try x.withUnsafeBufferPointer { a in try y.withUnsafeBufferPointer { b in try QuantizationErrorStats(original: a, reconstructed: b) } }
    }

    /// A hand-checked example: errors (0, 1) against signal (3, 4).
    @Test func figuresOfASmallExample() throws {
        let s = try Self.stats([3, 4], [3, 3])
        #expect(s.count == 2)
        #expect(s.maxAbsError == 1)
        #expect(abs(s.rmsError - (0.5).squareRoot()) < 1e-12)
        #expect(abs(s.relativeFrobeniusError - 1.0 / 5) < 1e-12)
        #expect(abs(s.snrDecibels - 10 * 1.3979400086720377) < 1e-9)    // 10 log10(25)
    }

    @Test func exactReconstructionHasNoError() throws {
        let s = try Self.stats([1, -2, 0], [1, -2, 0])
        #expect(s.maxAbsError == 0 && s.rmsError == 0 && s.relativeFrobeniusError == 0)
        #expect(s.snrDecibels == .infinity)
    }

    @Test func mergingEqualsAccumulatingTogether() throws {
        let x = gaussianWeights(count: 300, blockSize: 30, seed: 60)
        let y = x.map { $0 * 1.01 + 0.001 }
        var merged = try Self.stats(Array(x[..<100]), Array(y[..<100]))
        merged.merge(try Self.stats(Array(x[100...]), Array(y[100...])))
        let whole = try Self.stats(x, y)
        #expect(merged.count == whole.count && merged.maxAbsError == whole.maxAbsError)
        #expect(abs(merged.sumSquaredError - whole.sumSquaredError) <= whole.sumSquaredError * 1e-12)
        #expect(abs(merged.snrDecibels - whole.snrDecibels) < 1e-9)
    }

    @Test func nanReconstructionIsInfiniteError() throws {
        #expect(try Self.stats([1], [.nan]).maxAbsError == .infinity)
    }
}
