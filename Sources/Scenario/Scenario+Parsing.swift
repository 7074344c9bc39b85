import Consensus
import Gossip
import SwarmBase

extension Scenario {
    /// Reads, parses and validates the scenario file at `path` (the only I/O of this module
    /// besides reading user JSONL data).
    public static func load(path: String) throws(ScenarioError) -> Scenario {
        let document: JSONDocument
        do {
            document = try JSONDocument(path: path, limit: 4 << 20)
        } catch {
            throw ScenarioError(error)
        }
        return try parse(document)
    }

    /// Parses and validates scenario text; errors start with `source`.
    public static func parse(bytes: some Collection<UInt8>, source: String) throws(ScenarioError) -> Scenario {
        let document: JSONDocument
        do {
            document = try JSONDocument(bytes: bytes, source: source)
        } catch {
            throw ScenarioError(error)
        }
        return try parse(document)
    }

    /// Parses and validates a parsed document: every field's type and range, unknown keys, and the
    /// checks across fields (events against rounds and nodes, links, partitions, the topology).
    public static func parse(_ document: JSONDocument) throws(ScenarioError) -> Scenario {
        do {
            return try parseFields(document)
        } catch {
            throw ScenarioError(error)
        }
    }

    /// The longest scenario name, in bytes (ASCII characters): a run directory's name.
    public static let maxNameBytes = 100

    /// Names a run directory can carry: letters, digits, '.', '_' and '-', not starting with '.'.
    static func isSafeName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first != ".", name.utf8.count <= maxNameBytes else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0)) }
    }

    /// The file's base name without `.json`: the name of a scenario that gives none.
    static func defaultName(source: String) -> String {
        var base = String(source.split(separator: "/").last ?? Substring(source))
        if base.hasSuffix(".json") { base.removeLast(5) }
        return isSafeName(base) ? base : "scenario"
    }

    private static func parseFields(_ document: JSONDocument) throws(JSONDocumentError) -> Scenario {
        var f = try document.fields()
        let name = try f.string("name") ?? defaultName(source: document.source)
        guard isSafeName(name) else {
            throw f.error("name", "'\(name)' cannot name a run directory: use letters, digits, '.', '_' and '-' (not starting with '.')")
        }
        let comment = try f.string("comment", allowEmpty: true) ?? ""
        let seed = UInt64(try f.int("seed", in: 0...Int.max) ?? 1)
        let core = try f.string("core") ?? defaultCore
        let nodes = try f.int("nodes", in: 1...ScenarioLimits.maxNodes) ?? 4

        let training = try TrainingSpec.parse(try f.object("training"), in: document)
        let events = try ScenarioEvent.parseList(&f, nodes: nodes, rounds: training.rounds)
        let totalNodes = nodes + events.filter(\.kind.isJoin).count
        guard totalNodes <= ScenarioLimits.maxNodes else {
            throw f.error("events", "\(nodes) nodes and \(totalNodes - nodes) joins make \(totalNodes) nodes, over the limit of \(ScenarioLimits.maxNodes)")
        }
        let context = ScenarioContext(nodes: nodes, totalNodes: totalNodes, rounds: training.rounds)
        let topology = try TopologySpec.parse(&f, context: context)
        let data = try DataSpec.parse(try f.object("data"), in: document, context: context)
        let lora = try LoRASpec.parse(try f.object("lora"))
        let gossip = try GossipSpec.parse(try f.object("gossip"))
        let network = try NetworkSpec.parse(try f.object("network"), context: context)
        let baselines = try Baselines.parse(try f.object("baselines"))
        let eval = try EvalSchedule.parse(try f.object("eval"), context: context)
        try f.finish()
        return Scenario(name: name, comment: comment, seed: seed, core: core, nodes: nodes, topology: topology, data: data,
                        lora: lora, training: training, gossip: gossip, network: network, events: events,
                        baselines: baselines, eval: eval)
    }
}

/// Bounds of a scenario, so a typo (a million nodes) fails at parse time rather than at run time.
public enum ScenarioLimits {
    /// Nodes, joins included.
    public static let maxNodes = 1024
    public static let maxRounds = 100_000
}

/// What the checks across sections need: the node counts and the number of rounds.
struct ScenarioContext {
    var nodes: Int
    var totalNodes: Int
    var rounds: Int

    /// The node indices a field may name, in words: "0...7".
    var nodeRange: String { "0...\(totalNodes - 1)" }
}

extension LoRASpec {
    /// Defaults: rank 8, alpha 16, targets q, k, v, o (LM's `LoRAConfig`).
    static func parse(_ object: JSONFields?) throws(JSONDocumentError) -> LoRASpec {
        guard var f = object else { return LoRASpec(rank: 8, alpha: 16, targets: ["k", "o", "q", "v"]) }
        let rank = try f.int("rank", in: 1...256) ?? 8
        let alpha = try f.double("alpha", in: 0.001...4096) ?? 16
        var targets = ["k", "o", "q", "v"]
        if let given = try f.strings("targets") {
            guard !given.isEmpty else { throw f.error("targets", "is empty: name at least one of \(knownTargets.joined(separator: ", "))") }
            for (i, t) in given.enumerated() {
                let at = f.path.appending("targets").appending(index: i)
                guard knownTargets.contains(t) else {
                    throw f.document.error(at: at, "'\(t)' is not one of \(knownTargets.joined(separator: ", "))")
                }
                if given[..<i].contains(t) { throw f.document.error(at: at, "'\(t)' is listed twice") }
            }
            targets = given.sorted()
        }
        try f.finish()
        return LoRASpec(rank: rank, alpha: alpha, targets: targets)
    }
}

extension TrainingSpec {
    /// Defaults: 6 rounds, learning rate 0.001, batch 4, sequence length 128, threads chosen by the backend.
    static func parse(_ object: JSONFields?, in document: JSONDocument) throws(JSONDocumentError) -> TrainingSpec {
        var spec = TrainingSpec(rounds: 6, learningRate: 1e-3, batch: 4, seqLen: 128, threads: nil)
        guard var f = object else { return spec }
        spec.rounds = try f.int("rounds", in: 1...ScenarioLimits.maxRounds) ?? spec.rounds
        if let lr = try f.double("lr", in: 0...1) {
            guard lr > 0 else { throw f.error("lr", "must be above 0 (0 would train nothing)") }
            spec.learningRate = lr
        }
        spec.batch = try f.int("batch", in: 1...1024) ?? spec.batch
        spec.seqLen = try f.int("seq-len", in: 16...8192) ?? spec.seqLen
        spec.threads = try f.int("threads", in: 1...256)
        try f.finish()
        return spec
    }
}

extension GossipSpec {
    /// Defaults: mode factors, 8 local steps, a 30 s deadline, f32 on the wire.
    static func parse(_ object: JSONFields?) throws(JSONDocumentError) -> GossipSpec {
        var spec = GossipSpec(mode: .factors, localSteps: 8, deadlineMilliseconds: 30_000, wireDType: .f32)
        guard var f = object else { return spec }
        if let mode = try f.choice("mode", AveragingMode.allCases.map(\.name)) { spec.mode = AveragingMode(name: mode)! }
        spec.localSteps = try f.int("local-steps", in: 1...100_000) ?? spec.localSteps
        spec.deadlineMilliseconds = try f.int("deadline-ms", in: 1...3_600_000) ?? spec.deadlineMilliseconds
        if let dtype = try f.choice("wire-dtype", ["f32", "bf16"]) { spec.wireDType = dtype == "bf16" ? .bf16 : .f32 }
        try f.finish()
        return spec
    }
}

extension Baselines {
    /// Defaults: both baselines on.
    static func parse(_ object: JSONFields?) throws(JSONDocumentError) -> Baselines {
        guard var f = object else { return Baselines(localOnly: true, centralized: true) }
        let spec = Baselines(localOnly: try f.bool("local-only") ?? true, centralized: try f.bool("centralized") ?? true)
        try f.finish()
        return spec
    }
}

extension EvalSchedule {
    /// Default: only after the last round.
    static func parse(_ object: JSONFields?, context: ScenarioContext) throws(JSONDocumentError) -> EvalSchedule {
        guard var f = object else { return EvalSchedule(every: nil) }
        let every = try f.int("every", in: 1...ScenarioLimits.maxRounds)
        if let every, every > context.rounds {
            throw f.error("every", "\(every) is past training.rounds (\(context.rounds)); the last round is always evaluated")
        }
        let nodes = try f.bool("nodes") ?? false
        try f.finish()
        return EvalSchedule(every: every, nodes: nodes)
    }
}
