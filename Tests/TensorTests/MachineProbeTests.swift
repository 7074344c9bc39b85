import CKernels
@testable import Tensor
import Testing

/// The machine probe (`swarmtune bench machine`) and the `--precision auto` rule built on it.
@Suite struct MachineProbeTests {
    @Test func autoChoosesBF16OnlyWhereItsDotProductsAreClearlyFaster() {
        #expect(Precision.choose(fp32: 90, bf16: nil).precision == .fp32)
        #expect(Precision.choose(fp32: 90, bf16: 34).precision == .fp32, "vdpbf16ps at a third of the FMA rate")
        #expect(Precision.choose(fp32: 90, bf16: 134).precision == .fp32, "1.49x: the conversions would eat it")
        #expect(Precision.choose(fp32: 90, bf16: 135).precision == .bf16)
        #expect(Precision.choose(fp32: 90, bf16: 180).reason.contains("2.00x"))
    }

    @Test func eachFMAProbeCountsTwoOperationsPerLanePerFMA() {
        // 12 accumulators x lanes (4 SSE, 8 AVX2, 16 AVX-512) x 2 per iteration.
        let isa = ComputePool(threads: 1).isa
        for (level, lanes) in [(Int32(0), 4.0), (1, 8), (2, 16)] where level <= isa {
            #expect(st_probe_fma(level, 1000) == 2 * lanes * 12 * 1000, "isa \(level)")
        }
        #expect(st_probe_dot_bf16(1000) == (Precision.bf16Available ? 2 * 32 * 12 * 1000 : 0))
    }

    @Test func theReadProbeSumsWhatItReads() {
        let values = (0..<1000).map { Float($0 % 7) }
        let isa = ComputePool(threads: 1).isa
        #expect(values.withUnsafeBufferPointer { st_probe_read(isa, $0.baseAddress!, 1000) } == values.reduce(0, +))
        #expect(values.withUnsafeBufferPointer { st_probe_read(0, $0.baseAddress!, 999) } == values.prefix(999).reduce(0, +))
    }

    @Test func aMeasurementHasEveryFigureAndBF16OnlyWhereItExists() {
        let peaks = MachineProbe.measure(pool: ComputePool(threads: 2), seconds: 0.01)
        #expect(peaks.fp32OneThread > 0 && peaks.fp32AllThreads > 0 && peaks.readOneThread > 0 && peaks.readAllThreads > 0)
        #expect((peaks.bf16AllThreads != nil) == Precision.bf16Available)
    }

    @Test func twoProbesKeepEachFiguresLargerValue() {
        let a = MachinePeaks(isa: "avx512", threads: 2, fp32OneThread: 100, fp32AllThreads: 150, bf16OneThread: 90,
                             bf16AllThreads: nil, readOneThread: 20, readAllThreads: 35)
        let b = MachinePeaks(isa: "avx512", threads: 2, fp32OneThread: 110, fp32AllThreads: 140, bf16OneThread: nil,
                             bf16AllThreads: 300, readOneThread: 25, readAllThreads: 30)
        let best = a.best(with: b)
        #expect(best.fp32OneThread == 110 && best.fp32AllThreads == 150)
        #expect(best.bf16OneThread == 90 && best.bf16AllThreads == 300)
        #expect(best.readOneThread == 25 && best.readAllThreads == 35)
        #expect(best.isa == "avx512" && best.threads == 2)
    }
}
