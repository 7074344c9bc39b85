import Foundation
import LM
import SwarmBase
import Tensor
import Train

/// `swarmtune bench train`: LoRA training throughput (forward + backward + AdamW-sized update)
/// on the real core, optionally beside PyTorch + PEFT in the same run.
struct BenchTrain: Command {
    static let name = "bench train"
    static let summary = "LoRA training tokens/s and peak RSS (forward, backward and the AdamW update)"
    static let discussion = "--reference runs scripts/reference/bench_train.py (PyTorch + PEFT, fp32) beside it."
    static let examples = ["bench train --batch 2 --seq-len 64 --steps 2 --json"]

    struct Options: Declarations {
        let model = Option.text("--model", "PATH", help: "the core", default: BenchForward.defaultModel)
        let batch = Option.integer("--batch", help: "sequences per step", default: 4, range: 1...256)
        let seqLen = Option.integer("--seq-len", help: "tokens per sequence", default: 128, range: 2...8192)
        let rank = Option.integer("--rank", help: "LoRA rank", default: 8, range: 1...1024)
        let targets = Option.loraTargets(help: "the adapted projections")
        let steps = Option.integer("--steps", help: "measured steps (after one warm-up step)", default: 3, range: 1...1000)
        let threads = Option.threads
        let precision = Option.precision
        let reference = Flag("--reference", help: "also measure PyTorch + PEFT (reference venv)")
        let python = Option.text("--python", "PATH", help: "the reference venv's Python")
        let json = Flag("--json", help: "print the figures as JSON")
    }

    let path: String
    let batch: Int
    let seqLen: Int
    let rank: Int
    let targets: [LoRATarget]
    let steps: Int
    let threads: Int?
    let precision: PrecisionChoice
    let reference: Bool
    let python: String?
    let json: Bool

    init(_ d: Options, _ p: inout ParsedArguments) throws(CLIError) {
        path = try p.value(d.model)
        batch = try p.value(d.batch)
        seqLen = try p.value(d.seqLen)
        rank = try p.value(d.rank)
        targets = try p.value(d.targets)
        steps = try p.value(d.steps)
        threads = try p.optional(d.threads)
        precision = try p.value(d.precision)
        reference = p.flag(d.reference)
        python = try p.optional(d.python)
        json = p.flag(d.json)
    }

    /// One engine's figures (the reference script prints the same fields).
    struct Row: Codable {
        var engine: String
        var tokensPerSecond: Double
        var secondsPerStep: Double
        var peakRSSBytes: Int
    }

    /// What `bench train --json` prints.
    struct Report: Codable {
        var model: String
        var batch: Int
        var seqLen: Int
        var rank: Int
        var targets: [String]
        var threads: Int
        var results: [Row]
    }

    func run() throws(CLIError) {
        let model: LlamaModel
        do { model = try LlamaModel(path: path, decodeTables: false) } catch { throw .failure(error.description) }
        let lora = LoRAParameters(config: LoRAConfig(rank: rank, alpha: Float(2 * rank), targets: targets), model: model.config)
        lora.initialize(seed: 1)
        let pool = ComputePool(threads: threads)
        let session = try CLIError.allocating("--batch \(batch) × --seq-len \(seqLen)") { () throws(AllocationError) in
            try TrainingSession(model: model, lora: lora, batch: batch, seqLen: seqLen, pool: pool)
        }
        let (precision, note) = self.precision.resolve()
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
        var rows = [Row(engine: "swarmtune", tokensPerSecond: Double(batch * seqLen) / seconds,
                        secondsPerStep: seconds, peakRSSBytes: Output.peakRSS)]
        if reference {
            rows += try BenchForward.runScript(python: python, script: "scripts/reference/bench_train.py", arguments: [
                "--model", path, "--batch", String(batch), "--seq-len", String(seqLen), "--rank", String(rank),
                "--targets", targets.map(\.rawValue).joined(separator: ","), "--steps", String(steps),
                "--threads", String(pool.threads)])
        }
        if json {
            Output.out(try Output.json(Report(model: path, batch: batch, seqLen: seqLen, rank: rank,
                                              targets: targets.map(\.rawValue), threads: pool.threads, results: rows)))
            return
        }
        let arithmetic = precision.rawValue
        Output.out(note)
        Output.out("LoRA training on \(path): batch \(batch) x \(seqLen), rank \(rank), targets \(targets.map(\.rawValue).joined(separator: ",")), \(pool.threads) threads (\(pool.isaName), \(arithmetic) frozen matmuls)")
        Output.out("engine            tokens/s   s/step   peak RSS")
        for r in rows {
            Output.out(r.engine.padding(toLength: 16, withPad: " ", startingAt: 0)
                       + String(format: "%10.1f %8.3f   ", r.tokensPerSecond, r.secondsPerStep)
                       + Output.bytes(r.peakRSSBytes))
        }
        if rows.count > 1 {
            let ours = rows[0], ref = rows[1]
            Output.out(String(format: "swarmtune / pytorch+peft: %.2fx tokens/s at %.2fx the peak RSS",
                              ours.tokensPerSecond / ref.tokensPerSecond, Double(ours.peakRSSBytes) / Double(ref.peakRSSBytes)))
        }
    }
}
