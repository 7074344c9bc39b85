import Foundation
import LM
import SwarmBase
import Tensor
import Quant
import Transport

/// `swarmtune bench`: figures for the kernels and the forward pass, optionally side by side with
/// the reference stack (transformers and llama.cpp) measured in the same run.
enum BenchCommand {
    static let help = """
        USAGE: swarmtune bench forward [--model PATH] [--prompt-tokens N] [--decode-tokens N] [--threads N]
                                       [--reference] [--python PATH] [--json]
               swarmtune bench train [--model PATH] [--batch 4] [--seq-len 128] [--rank 8] [--targets q,k,v,o|all]
                                     [--steps N] [--threads N] [--precision fp32|bf16] [--reference] [--python PATH] [--json]
               swarmtune bench gemm [--threads N] [--json]
               swarmtune bench transport [--frames 512] [--round-trips 2000] [--idle-peers 0]

        forward  prefill and decode tokens/s and peak RSS on a core (default: the real core in models/).
                 --reference also runs scripts/reference/bench_forward.py (transformers fp32 and
                 llama-cpp-python on the same file, same token ids) and prints the ratios.
        train    LoRA training tokens/s and peak RSS (forward, backward and the AdamW update);
                 --reference runs scripts/reference/bench_train.py (PyTorch + PEFT, fp32) beside it.
        transport factor-exchange throughput over mutually authenticated TLS 1.3 on loopback (2 MB
                 frames) and small-frame round-trip latency (median, p99).
        gemm     GFLOP/s of the quantized matmul for each instruction-set build and of a plain
                 Swift SIMD loop, on the core's shapes.

        EXAMPLES:
          swift build -c release && .build/release/swarmtune bench forward --reference
          .build/release/swarmtune bench gemm
        """

    static func run(_ args: inout Arguments) throws(CLIError) {
        let what = try args.positional("what to benchmark (forward, train, gemm or transport)")
        switch what {
        case "forward": try forward(&args)
        case "gemm": try gemm(&args)
        case "train": try BenchTrain.run(&args)
        case "transport": try transport(&args)
        default: throw .usage(command: "bench", message: "unknown benchmark '\(what)' (forward, train, gemm, transport)")
        }
    }

    static func defaultModel() -> String { "models/SmolLM2-135M-Instruct.Q4_1.gguf" }

    static func forward(_ args: inout Arguments) throws(CLIError) {
        let path = try args.option("--model") ?? defaultModel()
        let promptTokens = try args.int("--prompt-tokens", default: 128, range: 1...4096)!
        let decodeTokens = try args.int("--decode-tokens", default: 128, range: 1...4096)!
        let threads = try args.int("--threads", range: 1...256)
        let reference = args.flag("--reference")
        let python = try args.option("--python")
        let json = args.flag("--json")
        try args.finish()

        let model: LlamaModel
        do { model = try LlamaModel(path: path) } catch { throw .failure(error.description) }
        var rng = SeededRandom(seed: 1234)
        let ids = (0..<promptTokens).map { _ in Int32(100 + Int(rng.next() % UInt64(model.config.vocabSize - 100))) }
        let pool = ComputePool(threads: threads)
        let session = InferenceSession(model: model, contextLength: promptTokens + decodeTokens + 1, maxBatch: 128, pool: pool)

        // Warm up (page in the mapped weights), then measure.
        do { _ = try session.append(Array(ids.prefix(8))) } catch { throw .failure(error.description) }
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
        let prefill = Double(promptTokens) / (Double(t1 - t0) / 1e9)
        let decode = Double(decodeTokens) / (Double(t2 - t1) / 1e9)
        let rss = Output.peakRSS

        var rows: [[String: Any]] = [["engine": "swarmtune", "prefillTokensPerSecond": prefill,
                                      "decodeTokensPerSecond": decode, "peakRSSBytes": rss,
                                      "threads": pool.threads, "isa": pool.isaName]]
        if reference {
            rows += try runReference(python: python, model: path, ids: ids, decodeTokens: decodeTokens, threads: pool.threads)
        }
        if json {
            Output.out(Output.json(["model": path, "promptTokens": promptTokens, "decodeTokens": decodeTokens, "results": rows]))
            return
        }
        Output.out("forward pass on \(path): prompt \(promptTokens) tokens, decode \(decodeTokens) tokens, \(pool.threads) threads")
        Output.out("engine                    prefill tok/s   decode tok/s   peak RSS")
        for r in rows {
            let name = (r["engine"] as? String ?? "?").padding(toLength: 24, withPad: " ", startingAt: 0)
            let p = String(format: "%13.1f", r["prefillTokensPerSecond"] as? Double ?? 0)
            let d = String(format: "%14.1f", r["decodeTokensPerSecond"] as? Double ?? 0)
            Output.out("\(name)  \(p)  \(d)   \(Output.bytes(r["peakRSSBytes"] as? Int ?? 0))")
        }
        if rows.count > 1 {
            for r in rows.dropFirst() {
                let d = r["decodeTokensPerSecond"] as? Double ?? 0, p = r["prefillTokensPerSecond"] as? Double ?? 0
                Output.out(String(format: "swarmtune / %@: prefill %.2fx, decode %.2fx", r["engine"] as? String ?? "?",
                                  p > 0 ? prefill / p : 0, d > 0 ? decode / d : 0))
            }
        }
    }

    /// Runs the reference forward benchmark on the same token ids.
    static func runReference(python: String?, model: String, ids: [Int32], decodeTokens: Int, threads: Int) throws(CLIError) -> [[String: Any]] {
        let idsFile = FileManager.default.temporaryDirectory.appendingPathComponent("swarmtune-bench-ids-\(getpid()).json")
        do { try Data(Output.json(ids.map { Int($0) }).utf8).write(to: idsFile) } catch {
            throw .failure("cannot write \(idsFile.path): \(error)")
        }
        defer { try? FileManager.default.removeItem(at: idsFile) }
        return try runScript(python: python, script: "scripts/reference/bench_forward.py", arguments: [
            "--model", model, "--ids", idsFile.path, "--decode-tokens", String(decodeTokens), "--threads", String(threads)])
    }

    /// Runs a reference script with the reference venv's Python and reads its JSON lines.
    static func runScript(python: String?, script: String, arguments: [String]) throws(CLIError) -> [[String: Any]] {
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
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }

    static func transport(_ args: inout Arguments) throws(CLIError) {
        var o = TransportBenchmark.Options()
        o.frames = try args.int("--frames", default: 512, range: 1...1_000_000)!
        o.roundTrips = try args.int("--round-trips", default: 2000, range: 1...10_000_000)!
        o.idlePeers = try args.int("--idle-peers", default: 0, range: 0...1000)!
        try args.finish()
        do { Output.out(try TransportBenchmark.run(o).description) } catch { throw .failure("\(error)") }
    }

    static func gemm(_ args: inout Arguments) throws(CLIError) {
        let threads = try args.int("--threads", range: 1...256)
        let json = args.flag("--json")
        try args.finish()
        let pool = ComputePool(threads: threads)
        var rng = SeededRandom(seed: 7)
        var results: [[String: Any]] = []
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
                    let seconds = time(minSeconds: 0.2) {
                        w.withUnsafeBytes { wp in
                            Kernels.quantizedMatmul(pool: pool, isa: isa, type: type, weights: wp.baseAddress!, rowBytes: rowBytes,
                                                    rows: s.rows, cols: s.cols, x: x, m: s.m, y: &y)
                        }
                    }
                    let gflops = 2.0 * Double(s.rows * s.cols * s.m) / seconds / 1e9
                    results.append(["type": type.description, "rows": s.rows, "cols": s.cols, "m": s.m,
                                    "kernel": "c-" + Kernels.isaName(isa), "gflops": gflops])
                }
                if type == .f32 {
                    let seconds = time(minSeconds: 0.2) { swiftSIMDGemm(w, x, &y, rows: s.rows, cols: s.cols, m: s.m) }
                    results.append(["type": "F32", "rows": s.rows, "cols": s.cols, "m": s.m, "kernel": "swift-simd16",
                                    "gflops": 2.0 * Double(s.rows * s.cols * s.m) / seconds / 1e9])
                }
            }
        }
        if json {
            Output.out(Output.json(["threads": pool.threads, "results": results]))
            return
        }
        Output.out("quantized matmul Y = X·Wᵀ, \(pool.threads) threads (swift-simd16 is single-threaded)")
        Output.out("type  rows x cols   m    kernel          GFLOP/s")
        for r in results {
            let shape = "\(r["rows"]!)x\(r["cols"]!)".padding(toLength: 10, withPad: " ", startingAt: 0)
            let t = (r["type"] as! String).padding(toLength: 5, withPad: " ", startingAt: 0)
            let m = String(r["m"] as! Int).leftPad(4)
            let k = (r["kernel"] as! String).padding(toLength: 14, withPad: " ", startingAt: 0)
            Output.out("\(t) \(shape) \(m)   \(k) \(String(format: "%8.1f", r["gflops"] as! Double))")
        }
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
