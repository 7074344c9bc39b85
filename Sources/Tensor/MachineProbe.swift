import CKernels
import Foundation

/// This machine's limits, measured: peak fp32 FMA and bf16 dot-product throughput (on one thread
/// and on every thread of a pool) and read bandwidth from memory, so a benchmark prints its
/// kernels as a fraction of what this machine can do at best, not only as a ratio to another
/// program, and dispatch can prefer what is faster here.
public struct MachinePeaks: Sendable, Codable, Equatable {
    /// The instruction set the fp32 probe (and the kernels) use.
    public var isa: String
    public var threads: Int
    /// GFLOP/s of fp32 FMAs (an FMA lane counts 2 operations): one thread, every thread.
    public var fp32OneThread: Double
    public var fp32AllThreads: Double
    /// GFLOP/s of bf16 dot products (vdpbf16ps; a pair counts 2); nil without AVX512_BF16.
    public var bf16OneThread: Double?
    public var bf16AllThreads: Double?
    /// GB/s of streaming reads from a buffer far larger than the caches: one thread, every thread.
    public var readOneThread: Double
    public var readAllThreads: Double

    /// bf16 products over fp32 FMAs on every thread (nil without bf16): above 1, bf16 matmuls can
    /// be faster here; at or below 1 (vdpbf16ps issuing at half the FMA rate), they cannot.
    public var bf16Advantage: Double? { bf16AllThreads.map { $0 / fp32AllThreads } }

    /// Each figure's larger value of two measurements: a probe that ran while something else
    /// held a core reads low, and a peak read low would make kernels measured between the two
    /// probes look faster than the machine (above 100% of it).
    public func best(with other: MachinePeaks) -> MachinePeaks {
        func larger(_ a: Double?, _ b: Double?) -> Double? {
            switch (a, b) {
            case let (a?, b?): return max(a, b)
            default: return a ?? b
            }
        }
        var out = self
        out.fp32OneThread = max(fp32OneThread, other.fp32OneThread)
        out.fp32AllThreads = max(fp32AllThreads, other.fp32AllThreads)
        out.bf16OneThread = larger(bf16OneThread, other.bf16OneThread)
        out.bf16AllThreads = larger(bf16AllThreads, other.bf16AllThreads)
        out.readOneThread = max(readOneThread, other.readOneThread)
        out.readAllThreads = max(readAllThreads, other.readAllThreads)
        return out
    }
}

/// Measures `MachinePeaks`: each probe runs for about `seconds`, the best of three runs counts.
public enum MachineProbe {
    public static func measure(pool: ComputePool, seconds: Double = 0.15) -> MachinePeaks {
        let isa = pool.isa
        let fp32 = { (n: Int64) in st_probe_fma(isa, n) }
        let bf16 = { (n: Int64) in st_probe_dot_bf16(n) }
        let hasBF16 = st_probe_dot_bf16(1) > 0
        let one = ComputePool(threads: 1)
        var peaks = MachinePeaks(isa: pool.isaName, threads: pool.threads,
                                 fp32OneThread: rate(fp32, pool: one, seconds: seconds),
                                 fp32AllThreads: rate(fp32, pool: pool, seconds: seconds),
                                 readOneThread: 0, readAllThreads: 0)
        if hasBF16 {
            peaks.bf16OneThread = rate(bf16, pool: one, seconds: seconds)
            peaks.bf16AllThreads = rate(bf16, pool: pool, seconds: seconds)
        }
        (peaks.readOneThread, peaks.readAllThreads) = readBandwidth(pool: pool, one: one)
        return peaks
    }

    /// Giga-operations per second of `probe` (which performs `iterations` and returns operations)
    /// run by every worker of `pool` at once.
    static func rate(_ probe: @escaping (Int64) -> Double, pool: ComputePool, seconds: Double) -> Double {
        // Calibrate on one worker, then size the run to take about `seconds`.
        var iterations: Int64 = 1 << 12
        while true {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = probe(iterations)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            if elapsed > 0.01 {
                iterations = max(1, Int64(Double(iterations) * seconds / elapsed))
                break
            }
            iterations *= 4
        }
        var best = 0.0
        for _ in 0..<3 {
            var operations = [Double](repeating: 0, count: pool.threads)
            let start = DispatchTime.now().uptimeNanoseconds
            operations.withUnsafeMutableBufferPointer { ops in
                pool.run { ith, _ in ops[ith] = probe(iterations) }
            }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            best = max(best, operations.reduce(0, +) / elapsed * 1e-9)
        }
        return best
    }

    /// Read GB/s over a 256 MiB buffer (far past any cache), best of three passes: one thread,
    /// then `pool`'s threads each reading its own slice.
    static func readBandwidth(pool: ComputePool, one: ComputePool) -> (Double, Double) {
        let count = 64 << 20
        let buffer = FloatBuffer(scratch: count)
        buffer.pointer.update(repeating: 1, count: count)  // fault every page in before timing
        let isa = pool.isa
        func pass(_ p: ComputePool) -> Double {
            var best = 0.0
            for _ in 0..<3 {
                // The sums are kept so the reads cannot be dropped (the C call is opaque anyway).
                var sums = [Float](repeating: 0, count: p.threads)
                let start = DispatchTime.now().uptimeNanoseconds
                sums.withUnsafeMutableBufferPointer { s in
                    p.run { ith, nth in
                        let lo = count * ith / nth, hi = count * (ith + 1) / nth
                        s[ith] = st_probe_read(isa, buffer.pointer + lo, Int64(hi - lo))
                    }
                }
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
                best = max(best, Double(count * MemoryLayout<Float>.size) / elapsed * 1e-9)
            }
            return best
        }
        return (pass(one), pass(pool))
    }
}

extension Precision {
    /// bf16 must run its dot products at least this much faster than fp32 FMAs to be chosen: a
    /// bf16 matmul also converts its activations, so an equal peak would be a loss.
    public static let bf16RequiredAdvantage = 1.5

    /// The faster arithmetic for the frozen-core matmuls on this machine, measured (what
    /// `--precision auto` runs): bf16 only where AVX512_BF16 exists and its dot products run at
    /// least `bf16RequiredAdvantage` times the fp32 FMA rate on one thread (vdpbf16ps issues at a
    /// fraction of the FMA rate on some Intel cores); otherwise fp32. The reason says which figures
    /// decided, for the log.
    public static func fastest() -> (precision: Precision, reason: String) {
        guard bf16Available else { return (.fp32, "this CPU has no AVX512_BF16") }
        let one = ComputePool(threads: 1)
        let isa = one.isa
        let fp32 = MachineProbe.rate({ st_probe_fma(isa, $0) }, pool: one, seconds: 0.03)
        let bf16 = MachineProbe.rate({ st_probe_dot_bf16($0) }, pool: one, seconds: 0.03)
        return choose(fp32: fp32, bf16: bf16)
    }

    /// The rule of `fastest` on measured one-thread rates (GFLOP/s; bf16 nil: not available).
    public static func choose(fp32: Double, bf16: Double?) -> (precision: Precision, reason: String) {
        guard let bf16 else { return (.fp32, "this CPU has no AVX512_BF16") }
        let advantage = bf16 / max(fp32, 1e-9)
        let figures = String(format: "bf16 dot products %.0f GFLOP/s against fp32 FMAs %.0f on one thread: %.2fx, %.1fx needed",
                             bf16, fp32, advantage, bf16RequiredAdvantage)
        return advantage >= bf16RequiredAdvantage ? (.bf16, figures) : (.fp32, figures)
    }
}
