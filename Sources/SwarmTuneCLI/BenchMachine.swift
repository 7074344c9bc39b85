import SwarmBase
import Tensor

/// `swarmtune bench machine`: this machine's limits (peak fp32 FMA and bf16 dot-product
/// throughput, read bandwidth), the yardstick the other benchmarks print their kernels against.
struct BenchMachine: Command {
    static let name = "bench machine"
    static let summary = "peak fp32 FMA and bf16 dot-product GFLOP/s and memory read GB/s of this machine"
    static let discussion = """
        Tiny probes, a fraction of a second each: independent FMA chains on every register the
        instruction set has (AVX-512, AVX2 or SSE), vdpbf16ps the same way where AVX512_BF16
        exists, and streaming reads of a 256 MiB buffer; on one thread and on --threads. 'bench
        gemm' and 'bench train' print their matmuls as a fraction of the fp32 peak measured here.
        """
    static let examples = ["bench machine", "bench machine --json"]

    /// --threads and --json (also `bench gemm`'s options).
    struct Options: Declarations {
        let threads = Option.threads
        let json = Flag("--json", help: "print the figures as JSON")

        func values(_ p: inout ParsedArguments) throws(CLIError) -> (threads: Int?, json: Bool) {
            (try p.optional(threads), p.flag(json))
        }
    }

    let threads: Int?
    let json: Bool

    init(_ d: Options, _ p: inout ParsedArguments) throws(CLIError) {
        (threads, json) = try d.values(&p)
    }

    func run() throws(CLIError) {
        let pool = ComputePool(threads: threads)
        let peaks = MachineProbe.measure(pool: pool)
        if json {
            Output.out(try Output.json(peaks))
            return
        }
        Output.out(Self.describe(peaks, cpu: MachineInfo.cpuDescription(isa: pool.isaName)))
    }

    /// The probe's figures as lines of text.
    static func describe(_ p: MachinePeaks, cpu: String) -> String {
        func f(_ x: Double) -> String { String(format: "%10.1f", x) }
        var lines = ["machine: \(cpu)",
                     "                   1 thread" + "\(p.threads) threads".leftPad(12),
                     "fp32 FMA GFLOP/s \(f(p.fp32OneThread))  \(f(p.fp32AllThreads))   (\(p.isa))"]
        if let one = p.bf16OneThread, let all = p.bf16AllThreads {
            lines.append("bf16 dot GFLOP/s \(f(one))  \(f(all))   (" + String(format: "%.2f", p.bf16Advantage ?? 0) + "x fp32)")
        } else {
            lines.append("bf16 dot         (no AVX512_BF16 on this CPU)")
        }
        lines.append("read GB/s        \(f(p.readOneThread))  \(f(p.readAllThreads))   (256 MiB buffer)")
        return lines.joined(separator: "\n")
    }
}
