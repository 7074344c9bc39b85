import Adapters
import Export
import Foundation

/// `swarmtune merge`: several adapters of the same core into one PEFT adapter, with the error of
/// the result against the exact weighted average of their updates.
struct MergeCommand: Command {
    static let name = "merge"
    static let summary = "merge adapters of the same core (linear, exact SVD, cat, TIES) into one"
    static let discussion = """
        Merges adapters trained on the same core (same targets and layers) into one. Each ADAPTER
        is a PEFT adapter directory or a node's state directory (its node.db; the latest checkpoint
        is read, also while the node runs, and named "DIR @ round N" in the report). A state
        database written before the adapter layout was recorded needs --core, the node's core.
        Weights are normalised to sum 1 (default: equal).

          linear  average the factors A and B (equal ranks only; the product picks up cross terms)
          exact   average the updates ΔW = scale·B·A, re-factorised by truncated SVD to rank R
                  (default: the inputs' rank): the best rank-R approximation
          cat     stack the ranks (A = [w1·A1; w2·A2; ...], B = [B1, B2, ...]): exact, rank Σ r
          ties    TIES-merging of the updates (keep the top --density share of each by magnitude,
                  elect a sign per entry; average the agreeing entries), then SVD to R

        Prints each method's error against the exact weighted average (relative Frobenius, overall
        and worst module). Nothing is written if any input is unreadable or the inputs differ in
        core (provenance core hash), targets, layers or shapes.
        """
    static let examples = [
        "merge runs/a/adapter runs/b/adapter --method exact --out merged",
        "merge n0 n1 n2 --weights 2,1,1 --method ties --density 0.3 --rank 16 --out merged",
        "merge runs/lab/n0 runs/lab/n1 --method exact --out consensus",
    ]

    struct Options: Declarations {
        let adapters = Positional("ADAPTER", help: "PEFT adapter or node state directories of the same core", repeatable: true)
        let core = Option.text("--core", "FILE", help: "the core an older node database's adapter layout is rebuilt from")
        let method = Option.choice("--method", of: MergeMethod.self, help: "how to merge", required: true)
        let out = Option.text("--out", "DIR", help: "the merged adapter (PEFT directory)", required: true)
        let weights = Option<[Double]>.custom("--weights", "w1,w2,...", help: "one weight per adapter") { text in
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.allSatisfy({ $0 != nil }) else { return .failure(ValueProblem("expects comma-separated numbers, got '\(text)'")) }
            return .success(parts.map { $0! })
        }
        let rank = Option.integer("--rank", "R", help: "rank of the result (exact, ties; default: the inputs' rank)", range: 1...4096)
        let density = Option.number("--density", "D", help: "share of each update TIES keeps (above 0)", default: 0.2, range: 0...1)
        let force = Flag("--force", help: "replace an existing DIR")
        let json = Flag("--json", help: "print the errors as JSON")
    }

    let paths: [String]
    let method: MergeMethod
    let out: String
    let weights: [Double]?
    let rank: Int?
    let density: Double
    let force: Bool
    let json: Bool
    let corePath: String?

    init(_ d: Options, _ p: inout ParsedArguments) throws(CLIError) {
        paths = try p.positionals(d.adapters)
        method = try p.value(d.method)
        out = try p.value(d.out)
        weights = try p.optional(d.weights)
        rank = try p.optional(d.rank)
        density = try p.value(d.density)
        force = p.flag(d.force)
        json = p.flag(d.json)
        corePath = try p.optional(d.core)
    }

    func validate() throws(CLIError) {
        guard density > 0 else { throw .usage(command: Self.name, message: "--density must be above 0") }
        if let weights, weights.count != paths.count {
            throw .usage(command: Self.name, message: "\(weights.count) weights for \(paths.count) adapters")
        }
        if paths.contains(out) { throw .usage(command: Self.name, message: "--out must differ from the inputs") }
    }

    /// What `merge --json` prints.
    struct Report: Codable {
        struct Module: Codable {
            var module: String
            var relativeError: Double
            var exactNorm: Double
        }
        var method: String
        var rank: Int
        var weights: [Double]
        var out: String
        var relativeError: Double
        var modules: [Module]
    }

    func run() throws(CLIError) {
        var inputs: [AdapterInput] = []
        for path in paths { inputs.append(try AdapterInput.read(path, corePath: corePath)) }
        let result: (adapter: LoRAAdapter, report: MergeReport)
        do {
            result = try AdapterMerge.merge(inputs.map(\.adapter), names: inputs.map(\.name), options: MergeOptions(
                method: method, weights: weights, rank: rank, density: density, swarmtuneVersion: SwarmTuneCommand.version))
        } catch {
            switch error {
            case .badOption, .badWeights: throw .usage(command: Self.name, message: error.description)
            default: throw .failure(error.description)
            }
        }
        do { try result.adapter.write(to: out, replacingExisting: force) } catch {
            throw .failure(error.description + (force ? "" : " (use --force to replace an adapter directory)"))
        }
        let report = result.report
        if json {
            Output.out(try Output.json(Report(
                method: method.rawValue, rank: report.rank, weights: report.weights, out: out,
                relativeError: report.overallRelative,
                modules: report.slots.map { .init(module: $0.slot, relativeError: $0.relative, exactNorm: $0.exactNorm) })))
            return
        }
        Output.out("merged \(inputs.map(\.name).joined(separator: ", ")) (\(method.rawValue), rank \(report.rank), weights \(report.weights.map { String(format: "%.3g", $0) }.joined(separator: ","))) into \(out)")
        Output.out(String(format: "error against the exact weighted average of B·A: %.3e relative (Frobenius, all modules)", report.overallRelative))
        if let worst = report.worst {
            Output.out(String(format: "worst module: %@ at %.3e relative", worst.slot, worst.relative))
        }
    }
}
