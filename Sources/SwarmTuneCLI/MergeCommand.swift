import Adapters
import Export
import Foundation

/// `swarmtune merge`: several adapters of the same core into one PEFT adapter, with the error of
/// the result against the exact weighted average of their updates.
enum MergeCommand {
    static let help = """
        USAGE: swarmtune merge ADAPTER... --method linear|exact|cat|ties --out DIR
                               [--weights w1,w2,...] [--rank R] [--density D] [--force] [--json]

        Merges PEFT adapter directories trained on the same core (same targets and layers) into one.
        Weights are normalised to sum 1 (default: equal).

          linear  average the factors A and B (equal ranks only; the product picks up cross terms)
          exact   average the updates ΔW = scale·B·A, re-factorised by truncated SVD to rank R
                  (default: the inputs' rank): the best rank-R approximation
          cat     stack the ranks (A = [w1·A1; w2·A2; ...], B = [B1, B2, ...]): exact, rank Σ r
          ties    TIES-merging of the updates (keep the top --density share of each by magnitude,
                  default 0.2; elect a sign per entry; average the agreeing entries), then SVD to R

        Prints each method's error against the exact weighted average (relative Frobenius, overall
        and worst module). Nothing is written if any input is unreadable or the inputs differ in
        core (provenance core hash), targets, layers or shapes. An existing DIR is replaced only with --force.

        EXAMPLES:
          swarmtune merge runs/a/adapter runs/b/adapter --method exact --out merged
          swarmtune merge n0 n1 n2 --weights 2,1,1 --method ties --density 0.3 --rank 16 --out merged
        """

    static func run(_ args: inout Arguments) throws(CLIError) {
        let methodName = try args.required("--method")
        let out = try args.required("--out")
        let weightsText = try args.option("--weights")
        let rank = try args.int("--rank", range: 1...4096)
        let density = try args.double("--density", default: 0.2, range: 0...1)!
        let force = args.flag("--force")
        let json = args.flag("--json")
        var paths: [String] = []
        while let p = args.optionalPositional() { paths.append(p) }
        try args.finish()
        guard let method = MergeMethod(rawValue: methodName) else {
            throw .usage(command: "merge", message: "--method must be one of linear, exact, cat, ties; got '\(methodName)'")
        }
        guard !paths.isEmpty else { throw .usage(command: "merge", message: "missing ADAPTER directories") }
        guard density > 0 else { throw .usage(command: "merge", message: "--density must be above 0") }
        var weights: [Double]?
        if let weightsText {
            let parts = weightsText.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.allSatisfy({ $0 != nil }) else {
                throw .usage(command: "merge", message: "--weights expects comma-separated numbers, got '\(weightsText)'")
            }
            weights = parts.map { $0! }
            guard weights!.count == paths.count else {
                throw .usage(command: "merge", message: "\(weights!.count) weights for \(paths.count) adapters")
            }
        }
        if paths.contains(out) { throw .usage(command: "merge", message: "--out must differ from the inputs") }

        let result: (adapter: LoRAAdapter, report: MergeReport)
        do {
            let adapters = try AdapterMerge.read(paths)
            result = try AdapterMerge.merge(adapters, names: paths, options: MergeOptions(
                method: method, weights: weights, rank: rank, density: density, swarmtuneVersion: SwarmTuneCommand.version))
        } catch {
            switch error {
            case .badOption, .badWeights: throw .usage(command: "merge", message: error.description)
            default: throw .failure(error.description)
            }
        }
        do { try result.adapter.write(to: out, replacingExisting: force) } catch {
            throw .failure(error.description + (force ? "" : " (use --force to replace an adapter directory)"))
        }
        let report = result.report
        if json {
            Output.out(Output.json([
                "method": method.rawValue, "rank": report.rank, "weights": report.weights, "out": out,
                "relativeError": report.overallRelative,
                "modules": report.slots.map { ["module": $0.slot, "relativeError": $0.relative, "exactNorm": $0.exactNorm] },
            ]))
            return
        }
        Output.out("merged \(paths.count) adapters (\(method.rawValue), rank \(report.rank), weights \(report.weights.map { String(format: "%.3g", $0) }.joined(separator: ","))) into \(out)")
        Output.out(String(format: "error against the exact weighted average of B·A: %.3e relative (Frobenius, all modules)", report.overallRelative))
        if let worst = report.worst {
            Output.out(String(format: "worst module: %@ at %.3e relative", worst.slot, worst.relative))
        }
    }
}
