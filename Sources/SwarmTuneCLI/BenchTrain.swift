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
    static let discussion = """
        --reference runs scripts/reference/bench_train.py (PyTorch + PEFT, fp32) beside it.
        --rounds N alternates the two N times and prints each round's ratio and their median.
        """
    static let examples = ["bench train --batch 2 --seq-len 64 --steps 2 --json", "bench train --reference --rounds 3"]

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
        let rounds = Option.integer("--rounds", help: "measurements of each engine, alternated; the ratios' median is printed", default: 1, range: 1...20)
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
    let rounds: Int
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
        rounds = try p.value(d.rounds)
        python = try p.optional(d.python)
        json = p.flag(d.json)
    }

    /// One engine's figures (the reference script prints the same fields).
    struct Row: Codable {
        var engine: String
        var tokensPerSecond: Double
        var secondsPerStep: Double
        var peakRSSBytes: Int
        /// Which round (from 1) measured it; set by swarmtune when `--rounds` is above 1.
        var round: Int?
    }

    /// What `bench train --json` prints.
    struct Report: Codable {
        var model: String
        var batch: Int
        var seqLen: Int
        var rank: Int
        var targets: [String]
        var threads: Int
        var rounds: Int
        var results: [Row]
        /// swarmtune's tokens/s over PyTorch + PEFT's, round by round, and their median (empty
        /// without --reference).
        var ratios: [Double]
        var medianRatio: Double?
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
        var rows: [Row] = []
        for round in 1...rounds {
            let t0 = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<steps { try step() }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 / Double(steps)
            rows.append(Row(engine: "swarmtune", tokensPerSecond: Double(batch * seqLen) / seconds,
                            secondsPerStep: seconds, peakRSSBytes: Output.peakRSS, round: rounds > 1 ? round : nil))
            if reference {
                let theirs: [Row] = try BenchForward.runScript(python: python, script: "scripts/reference/bench_train.py", arguments: [
                    "--model", path, "--batch", String(batch), "--seq-len", String(seqLen), "--rank", String(rank),
                    "--targets", targets.map(\.rawValue).joined(separator: ","), "--steps", String(steps),
                    "--threads", String(pool.threads)])
                rows += theirs.map { var r = $0; r.round = rounds > 1 ? round : nil; return r }
            }
        }
        let ratios = Self.ratios(rows)
        let median = ratios.isEmpty ? nil : BenchRounds.median(ratios)
        if json {
            Output.out(try Output.json(Report(model: path, batch: batch, seqLen: seqLen, rank: rank,
                                              targets: targets.map(\.rawValue), threads: pool.threads, rounds: rounds,
                                              results: rows, ratios: ratios, medianRatio: median)))
            return
        }
        let arithmetic = precision.rawValue
        Output.out(note)
        Output.out("LoRA training on \(path): batch \(batch) x \(seqLen), rank \(rank), targets \(targets.map(\.rawValue).joined(separator: ",")), \(pool.threads) threads (\(pool.isaName), \(arithmetic) frozen matmuls)"
                   + (rounds > 1 ? ", \(rounds) rounds" : ""))
        Output.out((rounds > 1 ? "round  " : "") + "engine            tokens/s   s/step   peak RSS")
        for r in rows {
            Output.out((r.round.map { String($0).padding(toLength: 7, withPad: " ", startingAt: 0) } ?? "")
                       + r.engine.padding(toLength: 16, withPad: " ", startingAt: 0)
                       + String(format: "%10.1f %8.3f   ", r.tokensPerSecond, r.secondsPerStep)
                       + Output.bytes(r.peakRSSBytes))
        }
        guard let median else { return }
        let ours = rows.filter { $0.engine == "swarmtune" }.map(\.peakRSSBytes).max() ?? 0
        let theirs = rows.filter { $0.engine != "swarmtune" }.map(\.peakRSSBytes).min() ?? 0
        let rss = theirs > 0 ? Double(ours) / Double(theirs) : 0
        if rounds == 1 {
            Output.out(String(format: "swarmtune / pytorch+peft: %.2fx tokens/s at %.2fx the peak RSS", median, rss))
        } else {
            Output.out(String(format: "swarmtune / pytorch+peft, median of %d rounds: %.2fx tokens/s (%@) at %.2fx the peak RSS (largest of ours over smallest of theirs)",
                              ratios.count, median, ratios.map { String(format: "%.2f", $0) }.joined(separator: ", "), rss))
        }
    }

    /// swarmtune's tokens/s over the reference's, each round's swarmtune row against the same
    /// round's reference row.
    static func ratios(_ rows: [Row]) -> [Double] {
        BenchRounds.references(rows, name: \.engine).flatMap { engine in
            BenchRounds.paired(rows, engine: engine, name: \.engine, round: \.round)
                .compactMap { $1.tokensPerSecond > 0 ? $0.tokensPerSecond / $1.tokensPerSecond : nil }
        }
    }
}
