import Foundation
import LM
import SwarmBase
import Tensor
import Quant
import Transport

/// `swarmtune bench forward`: prefill and decode throughput on a core, optionally side by side
/// with the reference stack (transformers and llama.cpp) measured in the same run.
struct BenchForward: Command {
    static let name = "bench forward"
    static let summary = "prefill and decode tokens/s and peak RSS on a core"
    static let discussion = """
        --reference also runs scripts/reference/bench_forward.py (transformers fp32 and
        llama-cpp-python on the same file, same token ids) and prints the ratios. On a shared
        machine, --rounds N alternates the engines N times (swarmtune, then the reference, then
        swarmtune again...) and prints each round's ratios and their medians, so a slow minute
        for one engine does not decide the figure.
        """
    static let examples = ["bench forward --reference", "bench forward --reference --rounds 3"]
    /// What `swarmtune bench` says of itself (the group's help).
    static let groupDiscussion = """
        Figures for the kernels, the forward pass, training and the transport. Measure release
        builds: swift build -c release && .build/release/swarmtune bench forward --reference
        """
    static let defaultModel = "models/SmolLM2-135M-Instruct.Q4_1.gguf"

    struct Options: Declarations {
        let model = Option.text("--model", "PATH", help: "the core", default: BenchForward.defaultModel)
        let promptTokens = Option.integer("--prompt-tokens", help: "tokens of the prompt (prefill)", default: 128, range: 1...4096)
        let decodeTokens = Option.integer("--decode-tokens", help: "tokens decoded after it", default: 128, range: 1...4096)
        let threads = Option.threads
        let reference = Flag("--reference", help: "also measure transformers and llama.cpp (reference venv)")
        let rounds = Option.integer("--rounds", help: "measurements of every engine, alternated; the ratios' medians are printed", default: 1, range: 1...20)
        let python = Option.text("--python", "PATH", help: "the reference venv's Python (default: $SWARMTUNE_REFERENCE_PYTHON or .venv-ref/bin/python)")
        let json = Flag("--json", help: "print the figures as JSON")
    }

    let path: String
    let promptTokens: Int
    let decodeTokens: Int
    let threads: Int?
    let reference: Bool
    let rounds: Int
    let python: String?
    let json: Bool

    init(_ d: Options, _ p: inout ParsedArguments) throws(CLIError) {
        path = try p.value(d.model)
        promptTokens = try p.value(d.promptTokens)
        decodeTokens = try p.value(d.decodeTokens)
        threads = try p.optional(d.threads)
        reference = p.flag(d.reference)
        rounds = try p.value(d.rounds)
        python = try p.optional(d.python)
        json = p.flag(d.json)
    }

    /// One engine's figures (the reference scripts print the same fields, without threads and isa).
    struct Row: Codable {
        var engine: String
        var prefillTokensPerSecond: Double
        var decodeTokensPerSecond: Double
        var peakRSSBytes: Int
        var threads: Int?
        var isa: String?
        /// Which round (from 1) measured it; set by swarmtune when `--rounds` is above 1.
        var round: Int?
    }

    /// swarmtune's speed over one reference engine's: each round's and their median.
    struct Ratio: Codable {
        var engine: String
        var prefill: [Double]
        var decode: [Double]
        var medianPrefill: Double
        var medianDecode: Double
    }

    /// What `bench forward --json` prints.
    struct Report: Codable {
        var model: String
        var promptTokens: Int
        var decodeTokens: Int
        var rounds: Int
        var results: [Row]
        var ratios: [Ratio]
    }

    func run() throws(CLIError) {
        let model: LlamaModel
        do { model = try LlamaModel(path: path) } catch { throw .failure(error.description) }
        var rng = SeededRandom(seed: 1234)
        // Ids past the first 100 (special and byte tokens) when the file's vocabulary is large
        // enough; a vocabulary of 100 or fewer (validated positive at load) draws from all of it.
        let vocab = model.config.vocabSize, first = vocab > 200 ? 100 : 0
        let ids = (0..<promptTokens).map { _ in Int32(first + Int(rng.next() % UInt64(vocab - first))) }
        let pool = ComputePool(threads: threads)
        let session = try CLIError.allocating("--prompt-tokens \(promptTokens) + --decode-tokens \(decodeTokens)") { () throws(AllocationError) in
            try InferenceSession(model: model, contextLength: promptTokens + decodeTokens + 1, maxBatch: 128, pool: pool)
        }

        // Warm up (page in the mapped weights), then measure.
        do { _ = try session.append(Array(ids.prefix(8))) } catch { throw .failure(error.description) }
        var rows: [Row] = []
        for round in 1...rounds {
            let (prefill, decode) = try Self.measure(session, prompt: ids, decodeTokens: decodeTokens)
            rows.append(Row(engine: "swarmtune", prefillTokensPerSecond: prefill, decodeTokensPerSecond: decode,
                            peakRSSBytes: Output.peakRSS, threads: pool.threads, isa: pool.isaName,
                            round: rounds > 1 ? round : nil))
            if reference {
                rows += try Self.runReference(python: python, model: path, ids: ids, decodeTokens: decodeTokens, threads: pool.threads)
                    .map { var r = $0; r.round = rounds > 1 ? round : nil; return r }
            }
        }
        let ratios = Self.ratios(rows)
        if json {
            Output.out(try Output.json(Report(model: path, promptTokens: promptTokens, decodeTokens: decodeTokens, rounds: rounds,
                                              results: rows, ratios: ratios)))
            return
        }
        Output.out("forward pass on \(path): prompt \(promptTokens) tokens, decode \(decodeTokens) tokens, \(pool.threads) threads"
                   + (rounds > 1 ? ", \(rounds) rounds" : ""))
        Output.out((rounds > 1 ? "round  " : "") + "engine                    prefill tok/s   decode tok/s   peak RSS")
        for r in rows {
            let round = r.round.map { String($0).padding(toLength: 7, withPad: " ", startingAt: 0) } ?? ""
            let name = r.engine.padding(toLength: 24, withPad: " ", startingAt: 0)
            let p = String(format: "%13.1f", r.prefillTokensPerSecond)
            let d = String(format: "%14.1f", r.decodeTokensPerSecond)
            Output.out("\(round)\(name)  \(p)  \(d)   \(Output.bytes(r.peakRSSBytes))")
        }
        for r in ratios {
            if rounds == 1 {
                Output.out(String(format: "swarmtune / %@: prefill %.2fx, decode %.2fx", r.engine, r.medianPrefill, r.medianDecode))
            } else {
                let each = { (v: [Double]) in v.map { String(format: "%.2f", $0) }.joined(separator: ", ") }
                Output.out(String(format: "swarmtune / %@, median of %d rounds: prefill %.2fx (%@), decode %.2fx (%@)", r.engine,
                                  r.prefill.count, r.medianPrefill, each(r.prefill), r.medianDecode, each(r.decode)))
            }
        }
    }

    /// One measurement: the prompt from an empty cache, then `decodeTokens` greedy tokens.
    static func measure(_ session: InferenceSession, prompt ids: [Int32], decodeTokens: Int) throws(CLIError) -> (prefill: Double, decode: Double) {
        session.reset()
        let t0 = DispatchTime.now().uptimeNanoseconds
        var logits: UnsafeBufferPointer<Float>
        do { logits = try session.append(ids) } catch { throw .failure(error.description) }
        let t1 = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<decodeTokens {
            let next = Sampler.argmax(logits)
            do { logits = try session.append([next]) } catch { throw .failure(error.description) }
        }
        let t2 = DispatchTime.now().uptimeNanoseconds
        return (Double(ids.count) / (Double(t1 - t0) / 1e9), Double(decodeTokens) / (Double(t2 - t1) / 1e9))
    }

    /// swarmtune's figures over each reference engine's, round by round (a round's swarmtune row
    /// against the same round's engine row), and their medians.
    static func ratios(_ rows: [Row]) -> [Ratio] {
        BenchRounds.references(rows, name: \.engine).map { engine in
            let pairs = BenchRounds.paired(rows, engine: engine, name: \.engine, round: \.round)
            let prefill = pairs.map { $1.prefillTokensPerSecond > 0 ? $0.prefillTokensPerSecond / $1.prefillTokensPerSecond : 0 }
            let decode = pairs.map { $1.decodeTokensPerSecond > 0 ? $0.decodeTokensPerSecond / $1.decodeTokensPerSecond : 0 }
            return Ratio(engine: engine, prefill: prefill, decode: decode, medianPrefill: BenchRounds.median(prefill),
                         medianDecode: BenchRounds.median(decode))
        }
    }

    /// Runs the reference forward benchmark on the same token ids.
    static func runReference(python: String?, model: String, ids: [Int32], decodeTokens: Int, threads: Int) throws(CLIError) -> [Row] {
        let idsFile = FileManager.default.temporaryDirectory.appendingPathComponent("swarmtune-bench-ids-\(getpid()).json")
        let text = try Output.json(ids.map { Int($0) })
        do { try Data(text.utf8).write(to: idsFile) } catch {
            throw .failure("cannot write \(idsFile.path): \(error)")
        }
        defer { try? FileManager.default.removeItem(at: idsFile) }
        return try runScript(python: python, script: "scripts/reference/bench_forward.py", arguments: [
            "--model", model, "--ids", idsFile.path, "--decode-tokens", String(decodeTokens), "--threads", String(threads)])
    }

    /// Runs a reference script with the reference venv's Python and reads its JSON lines.
    static func runScript<Row: Decodable>(python: String?, script: String, arguments: [String]) throws(CLIError) -> [Row] {
        let py = python ?? ProcessInfo.processInfo.environment["SWARMTUNE_REFERENCE_PYTHON"] ?? ".venv-ref/bin/python"
        guard FileManager.default.isExecutableFile(atPath: py) else {
            throw .failure("reference Python \(py) not found: run scripts/reference/setup-venv, or pass --python PATH")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: py)
        p.arguments = [script] + arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        do { try p.run() } catch { throw .failure("cannot run \(py): \(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw .failure("\(script) failed (exit \(p.terminationStatus))") }
        var rows: [Row] = []
        // Libraries may log to stdout too; the script's results are the lines that are JSON objects.
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix("{") {
            do { rows.append(try JSONDecoder().decode(Row.self, from: Data(line.utf8))) } catch {
                throw .failure("\(script) printed a line that is not a \(Row.self): \(line.prefix(200))")
            }
        }
        return rows
    }

}

/// `swarmtune bench transport`: factor-exchange throughput and round-trip latency over mutually
/// authenticated TLS 1.3 on loopback.
struct BenchTransport: Command {
    static let name = "bench transport"
    static let summary = "factor-exchange throughput (2 MB frames) and small-frame round-trip latency over TLS on loopback"
    static let discussion = ""
    static let examples = ["bench transport --frames 256 --round-trips 1000"]

    struct Options: Declarations {
        let frames = Option.integer("--frames", help: "2 MB frames sent for the throughput figure", default: 512, range: 1...1_000_000)
        let roundTrips = Option.integer("--round-trips", help: "small-frame round trips for the latency figures (median, p99)", default: 2000, range: 1...10_000_000)
        let idlePeers = Option.integer("--idle-peers", help: "extra connected peers that stay idle", default: 0, range: 0...1000)
    }

    let options: TransportBenchmark.Options

    init(_ d: Options, _ p: inout ParsedArguments) throws(CLIError) {
        var o = TransportBenchmark.Options()
        o.frames = try p.value(d.frames)
        o.roundTrips = try p.value(d.roundTrips)
        o.idlePeers = try p.value(d.idlePeers)
        options = o
    }

    func run() throws(CLIError) {
        do { Output.out(try TransportBenchmark.run(options).description) } catch { throw .failure("\(error)") }
    }
}

/// `swarmtune bench gemm`: GFLOP/s of the quantized matmul for each instruction-set build and of
/// a plain Swift SIMD loop, on the core's shapes.
struct BenchGemm: Command {
    static let name = "bench gemm"
    static let summary = "GFLOP/s of the quantized matmul per instruction-set build and of a plain Swift SIMD loop"
    static let discussion = """
        Each figure is also printed as a fraction of this machine's peak ('bench machine', probed
        before and after the kernels in the same run, the larger kept): the fp32 FMA peak on every thread for the C kernels, on one thread
        for the single-threaded Swift loop. A second table times training's frozen products on a
        batch of 512 rows, forward (Y = X·Wᵀ) and backward (dX = dY·W), in fp32 and in bf16 (on
        CPUs with AVX512_BF16), each against the peak of its own arithmetic.
        """
    static let examples = ["bench gemm --threads 2"]

    typealias Options = BenchMachine.Options

    let threads: Int?
    let json: Bool

    init(_ d: Options, _ p: inout ParsedArguments) throws(CLIError) {
        (threads, json) = try d.values(&p)
    }

    /// One kernel on one shape.
    struct Row: Codable {
        var type: String
        var rows: Int
        var cols: Int
        var m: Int
        var kernel: String
        var gflops: Double
        /// gflops over the machine's peak on the threads the kernel ran on: the fp32 FMA peak, or
        /// the bf16 dot-product peak for the bf16 training kernels.
        var fractionOfPeak: Double
    }

    /// What `bench gemm --json` prints.
    struct Report: Codable {
        var threads: Int
        var machine: MachinePeaks
        var results: [Row]
        /// Training's frozen products (kernel train-forward-fp32, train-backward-bf16, ...).
        var training: [Row]
    }

    func run() throws(CLIError) {
        let pool = ComputePool(threads: threads)
        let before = MachineProbe.measure(pool: pool)
        var rng = SeededRandom(seed: 7)
        var results: [Row] = []
        // The core's shapes: attention projections (576x576) and the MLP (1536x576).
        let shapes: [(rows: Int, cols: Int, m: Int)] = [(576, 576, 1), (1536, 576, 1), (576, 576, 128), (1536, 576, 512)]
        for type in [GGMLType.q4_1, .q8_0, .f32] {
            for s in shapes {
                let rowBytes = type.byteCount(elements: s.cols)!
                var w = [UInt8](repeating: 0, count: rowBytes * s.rows)
                for i in w.indices { w[i] = UInt8(truncatingIfNeeded: rng.next()) }
                if type != .f32 {  // sane f16 scales at the start of every block
                    let bs = type.typeSize
                    for b in stride(from: 0, to: w.count, by: bs) { w[b] = 0x00; w[b + 1] = 0x20; if type == .q4_1 { w[b + 2] = 0; w[b + 3] = 0x20 } }
                } else {
                    for i in stride(from: 0, to: w.count, by: 4) { w[i + 3] = 0x3C }
                }
                let x = (0..<(s.m * s.cols)).map { _ in rng.nextFloat() - 0.5 }
                var y = [Float](repeating: 0, count: s.m * s.rows)
                for isa in 0...Kernels.detectedISA {
                    let seconds = Self.time(minSeconds: 0.2) {
                        w.withUnsafeBytes { wp in
                            Kernels.quantizedMatmul(pool: pool, isa: isa, type: type, weights: wp.baseAddress!, rowBytes: rowBytes,
                                                    rows: s.rows, cols: s.cols, x: x, m: s.m, y: &y)
                        }
                    }
                    let gflops = 2.0 * Double(s.rows * s.cols * s.m) / seconds / 1e9
                    results.append(Row(type: type.description, rows: s.rows, cols: s.cols, m: s.m,
                                       kernel: "c-" + Kernels.isaName(isa), gflops: gflops, fractionOfPeak: 0))
                }
                if type == .f32 {
                    let seconds = Self.time(minSeconds: 0.2) { Self.swiftSIMDGemm(w, x, &y, rows: s.rows, cols: s.cols, m: s.m) }
                    let gflops = 2.0 * Double(s.rows * s.cols * s.m) / seconds / 1e9
                    results.append(Row(type: "F32", rows: s.rows, cols: s.cols, m: s.m, kernel: "swift-simd16",
                                       gflops: gflops, fractionOfPeak: 0))
                }
            }
        }
        var training = Self.trainingProducts(pool: pool, rng: &rng)
        // The peaks are probed before and after the kernels and the larger of each is kept, so
        // a core held by other work during one probe does not inflate every fraction.
        let peaks = before.best(with: MachineProbe.measure(pool: pool))
        for i in results.indices {
            results[i].fractionOfPeak = results[i].gflops / (results[i].kernel == "swift-simd16" ? peaks.fp32OneThread : peaks.fp32AllThreads)
        }
        for i in training.indices {
            let bf16 = training[i].kernel.hasSuffix("bf16")
            training[i].fractionOfPeak = training[i].gflops / (bf16 ? peaks.bf16AllThreads ?? .nan : peaks.fp32AllThreads)
        }
        if json {
            Output.out(try Output.json(Report(threads: pool.threads, machine: peaks, results: results, training: training)))
            return
        }
        Output.out(BenchMachine.describe(peaks, cpu: MachineInfo.cpuDescription(isa: pool.isaName)))
        Output.out("")
        Output.out("quantized matmul Y = X·Wᵀ, \(pool.threads) threads (swift-simd16 is single-threaded); % of the fp32 FMA peak above")
        Self.printTable(results, kernelWidth: 14)
        Output.out("")
        Output.out("training's frozen products on 512 rows, \(pool.threads) threads; % of the fp32 FMA or bf16 dot peak above")
        Self.printTable(training, kernelWidth: 21)
    }

    static func printTable(_ rows: [Row], kernelWidth: Int) {
        Output.out("type  rows x cols   m    " + "kernel".padding(toLength: kernelWidth + 1, withPad: " ", startingAt: 0)
                   + " GFLOP/s  of peak")
        for r in rows {
            let shape = "\(r.rows)x\(r.cols)".padding(toLength: 10, withPad: " ", startingAt: 0)
            let t = r.type.padding(toLength: 5, withPad: " ", startingAt: 0)
            let k = r.kernel.padding(toLength: kernelWidth, withPad: " ", startingAt: 0)
            Output.out("\(t) \(shape) \(String(r.m).leftPad(4))   \(k) \(String(format: "%8.1f   %5.1f%%", r.gflops, 100 * r.fractionOfPeak))")
        }
    }

    /// Training's products through frozen weights on the MLP's two shapes (gate and up 1536x576,
    /// down 576x1536) with a 4 x 128 batch: Y = X·Wᵀ and dX = dY·W, in fp32 and (where the CPU
    /// has AVX512_BF16) bf16, through the same `WeightMatrix` calls a training step makes.
    static func trainingProducts(pool: ComputePool, rng: inout SeededRandom) -> [Row] {
        final class Owner {}
        let owner = Owner()
        let m = 512, type = GGMLType.q4_1
        var out: [Row] = []
        var precisions: [(Precision, String)] = [(.fp32, "fp32")]
        if Precision.bf16Available { precisions.append((.bf16, "bf16")) }
        for (rows, cols) in [(1536, 576), (576, 1536)] {
            let rowBytes = type.byteCount(elements: cols)!
            var w = [UInt8](repeating: 0, count: rowBytes * rows)
            for i in w.indices { w[i] = UInt8(truncatingIfNeeded: rng.next()) }
            for b in stride(from: 0, to: w.count, by: type.typeSize) { w[b] = 0; w[b + 1] = 0x20; w[b + 2] = 0; w[b + 3] = 0x20 }
            let x = (0..<(m * cols)).map { _ in rng.nextFloat() - 0.5 }
            let dy = (0..<(m * rows)).map { _ in rng.nextFloat() - 0.5 }
            var y = [Float](repeating: 0, count: m * rows), dx = [Float](repeating: 0, count: m * cols)
            w.withUnsafeBytes { raw in
                let matrix = WeightMatrix(type: type, rows: rows, columns: cols, bytes: raw, owner: owner)
                for (precision, name) in precisions {
                    let forward = time(minSeconds: 0.3) {
                        matrix.multiply(x, ldx: cols, m: m, into: &y, ldy: rows, pool: pool, precision: precision)
                    }
                    let backward = time(minSeconds: 0.3) {
                        matrix.multiplyTransposed(dy, lddy: rows, m: m, into: &dx, lddx: cols, accumulate: false, pool: pool,
                                                  precision: precision)
                    }
                    for (direction, seconds) in [("forward", forward), ("backward", backward)] {
                        let gflops = 2.0 * Double(rows * cols * m) / seconds / 1e9
                        out.append(Row(type: type.description, rows: rows, cols: cols, m: m, kernel: "train-\(direction)-\(name)",
                                       gflops: gflops, fractionOfPeak: 0))
                    }
                }
            }
        }
        return out
    }

    /// Seconds per call, averaged over enough calls to fill `minSeconds`.
    static func time(minSeconds: Double, _ body: () -> Void) -> Double {
        body()
        var calls = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0
        repeat {
            body()
            calls += 1
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        } while elapsed < minSeconds
        return elapsed / Double(calls)
    }

    /// The same NT product written with Swift's SIMD16<Float> at the default target (no FMA):
    /// the baseline that shows why the kernels are C compiled per instruction set.
    static func swiftSIMDGemm(_ wBytes: [UInt8], _ x: [Float], _ y: inout [Float], rows: Int, cols: Int, m: Int) {
        wBytes.withUnsafeBytes { raw in
            let w = raw.bindMemory(to: Float.self)
            x.withUnsafeBufferPointer { xp in
                for i in 0..<m {
                    for r in 0..<rows {
                        var acc = SIMD16<Float>()
                        var k = 0
                        while k + 16 <= cols {
                            let a = SIMD16<Float>(xp[(i * cols + k)..<(i * cols + k + 16)])
                            let b = SIMD16<Float>(w[(r * cols + k)..<(r * cols + k + 16)])
                            acc.addProduct(a, b)
                            k += 16
                        }
                        y[i * rows + r] = acc.sum()
                    }
                }
            }
        }
    }
}
