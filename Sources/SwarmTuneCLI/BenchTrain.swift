import Foundation
import LM
import SwarmBase
import Tensor
import Train

/// `swarmtune bench train`: LoRA training throughput (forward + backward + AdamW-sized update)
/// on the real core, optionally beside PyTorch + PEFT in the same run.
enum BenchTrain {
    static func run(_ args: inout Arguments) throws(CLIError) {
        let path = try args.option("--model") ?? BenchCommand.defaultModel()
        let batch = try args.int("--batch", default: 4, range: 1...256)!
        let seqLen = try args.int("--seq-len", default: 128, range: 2...8192)!
        let rank = try args.int("--rank", default: 8, range: 1...1024)!
        let targetsText = try args.option("--targets") ?? "q,k,v,o"
        let steps = try args.int("--steps", default: 3, range: 1...1000)!
        let threads = try args.int("--threads", range: 1...256)
        let precisionText = try args.option("--precision") ?? "fp32"
        guard let precision = Precision(rawValue: precisionText) else {
            throw .usage(command: "bench", message: "--precision must be fp32 or bf16, got '\(precisionText)'")
        }
        let reference = args.flag("--reference")
        let python = try args.option("--python")
        let json = args.flag("--json")
        try args.finish()
        let targets = try TrainCommandSupport.parseTargets(targetsText, command: "bench")

        let model: LlamaModel
        do { model = try LlamaModel(path: path, decodeTables: false) } catch { throw .failure(error.description) }
        let lora = LoRAParameters(config: LoRAConfig(rank: rank, alpha: Float(2 * rank), targets: targets), model: model.config)
        lora.initialize(seed: 1)
        let pool = ComputePool(threads: threads)
        let session = TrainingSession(model: model, lora: lora, batch: batch, seqLen: seqLen, pool: pool)
        session.precision = precision
        var rng = SeededRandom(seed: 1)
        let ids = (0..<(batch * seqLen)).map { _ in Int32(100 + Int(rng.next() % 48900)) }
        let labels = ids.enumerated().map { $0.offset % seqLen < seqLen / 4 ? -100 : $0.element }
        let labelled = labels.enumerated().filter { $0.offset % seqLen != 0 && $0.element != -100 }.count
        var optimizer = AdamW(count: lora.count)
        func step() throws(CLIError) {
            session.zeroGradients()
            do { _ = try session.accumulateGradients(ids: ids, labels: labels, lossScale: 1 / Float(labelled)) } catch {
                throw .failure(error.description)
            }
            optimizer.update(lora.values.pointer, gradients: session.gradients.pointer, count: lora.count, lr: 1e-4)
        }
        try step()  // warm-up
        let t0 = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<steps { try step() }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 / Double(steps)
        var rows: [[String: Any]] = [["engine": "swarmtune", "tokensPerSecond": Double(batch * seqLen) / seconds,
                                      "secondsPerStep": seconds, "peakRSSBytes": Output.peakRSS]]
        if reference {
            rows += try BenchCommand.runScript(python: python, script: "scripts/reference/bench_train.py", arguments: [
                "--model", path, "--batch", String(batch), "--seq-len", String(seqLen), "--rank", String(rank),
                "--targets", targets.map(\.rawValue).joined(separator: ","), "--steps", String(steps),
                "--threads", String(pool.threads)])
        }
        if json {
            Output.out(Output.json(["model": path, "batch": batch, "seqLen": seqLen, "rank": rank,
                                    "targets": targets.map(\.rawValue), "threads": pool.threads, "results": rows]))
            return
        }
        let arithmetic = precision == .bf16 && !Precision.bf16Available ? "bf16 unavailable here, fp32" : precision.rawValue
        Output.out("LoRA training on \(path): batch \(batch) x \(seqLen), rank \(rank), targets \(targets.map(\.rawValue).joined(separator: ",")), \(pool.threads) threads (\(pool.isaName), \(arithmetic) frozen matmuls)")
        Output.out("engine            tokens/s   s/step   peak RSS")
        for r in rows {
            Output.out((r["engine"] as! String).padding(toLength: 16, withPad: " ", startingAt: 0)
                       + String(format: "%10.1f %8.3f   ", r["tokensPerSecond"] as! Double, r["secondsPerStep"] as! Double)
                       + Output.bytes(r["peakRSSBytes"] as! Int))
        }
        if rows.count > 1 {
            let ours = rows[0], ref = rows[1]
            Output.out(String(format: "swarmtune / pytorch+peft: %.2fx tokens/s at %.2fx the peak RSS",
                              (ours["tokensPerSecond"] as! Double) / (ref["tokensPerSecond"] as! Double),
                              Double(ours["peakRSSBytes"] as! Int) / Double(ref["peakRSSBytes"] as! Int)))
        }
    }
}

/// Shared parsing for commands that take LoRA targets.
enum TrainCommandSupport {
    static func parseTargets(_ text: String, command: String) throws(CLIError) -> [LoRATarget] {
        if text == "all" { return LoRATarget.allCases }
        var out: [LoRATarget] = []
        for part in text.split(separator: ",") {
            guard let t = LoRATarget(peftName: String(part)) else {
                throw .usage(command: command, message: "unknown LoRA target '\(part)' (q, k, v, o, gate, up, down, or all)")
            }
            out.append(t)
        }
        guard !out.isEmpty else { throw .usage(command: command, message: "--targets is empty") }
        return out
    }
}
