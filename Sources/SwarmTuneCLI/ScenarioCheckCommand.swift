import Consensus
import Scenario

/// `swarmtune scenario check FILE`: parses and validates a scenario file and prints what it asks
/// for, without running anything (`swarmtune simulate FILE` runs it on the inproc backend).
struct ScenarioCheckCommand: Command {
    static let name = "scenario check"
    static let summary = "parse and validate a scenario file and print a summary (nothing is run)"
    static let discussion = """
        Reads a scenario file (docs/SCENARIOS.md), checks every field, and prints a summary:
        nodes, topology, data, training, gossip, network and events. An error names the file
        and the JSON path of the value at fault. --data also builds each node's data and the test
        set (reading user JSONL files) and prints the examples per domain on each node.
        --json prints the scenario with every default written out.
        """
    static let groupDiscussion = """
        Scenario files describe a swarm to simulate (docs/SCENARIOS.md). 'scenario check'
        validates one; 'swarmtune simulate FILE' runs it (inproc backend).
        """
    static let examples = ["scenario check scenarios/quickstart.json", "scenario check scenarios/churn-16.json --data",
                           "scenario check scenarios/iid-ring-8.json --json"]

    struct Options: Declarations {
        let file = Positional("FILE", help: "a scenario file (JSON)")
        let data = Flag("--data", help: "also build the data and print each node's examples per domain")
        let json = Flag("--json", help: "print the scenario as JSON with every default written out")
    }

    let file: String
    let data: Bool
    let json: Bool

    init(_ d: Options, _ p: inout ParsedArguments) throws(CLIError) {
        file = try p.positional(d.file)!
        data = p.flag(d.data)
        json = p.flag(d.json)
    }

    func run() throws(CLIError) {
        let scenario: Scenario
        do {
            scenario = try Scenario.load(path: file)
        } catch {
            throw .failure(error.description)
        }
        if json {
            Output.out(scenario.json.text(pretty: true))
            return
        }
        Output.out(Self.summary(scenario))
        if data {
            do {
                Output.out(Self.dataSummary(try scenario.buildData()))
            } catch {
                throw .failure("\(file): data: \(error.description)")
            }
        }
    }

    /// What the scenario asks for, one aspect a line.
    static func summary(_ s: Scenario) -> String {
        let joins = s.totalNodes - s.nodes
        var lines = ["\(s.name): valid (not run; swarmtune simulate FILE runs it in one process)"]
        if !s.comment.isEmpty { lines.append("  comment:  \(s.comment)") }
        lines.append("  core:     \(s.core), seed \(s.seed)")
        lines.append("  nodes:    \(s.nodes)\(joins > 0 ? " (+\(joins) joining)" : ""), topology \(topologyText(s.topology))")
        lines.append("  data:     \(dataText(s.data))")
        lines.append("  lora:     rank \(s.lora.rank), alpha \(s.lora.alpha.plainText), targets \(s.lora.targets.joined(separator: ","))")
        lines.append("  training: \(s.training.rounds) rounds, lr \(s.training.learningRate.plainText), batch \(s.training.batch), seq-len \(s.training.seqLen)"
                     + (s.training.threads.map { ", \($0) threads" } ?? ""))
        lines.append("  gossip:   \(s.gossip.mode.name), \(s.gossip.localSteps) local steps, deadline \(s.gossip.deadlineMilliseconds) ms, \(s.gossip.wireDType) on the wire")
        let n = s.network.all
        lines.append("  network:  latency \(n.latencyMilliseconds.plainText) ms, jitter \(n.jitterMilliseconds.plainText) ms, loss \((100 * n.loss).plainText)%, "
                     + "bandwidth \(n.bandwidthMegabits.map { "\($0.plainText) Mbit/s" } ?? "unlimited")"
                     + (s.network.links.isEmpty ? "" : "; \(s.network.links.count) link override\(s.network.links.count == 1 ? "" : "s")"))
        lines.append("  events:   \(s.events.isEmpty ? "none" : "\(s.events.count)")")
        for e in s.events { lines.append("    \(eventText(e))") }
        lines.append("  baselines: local-only \(s.baselines.localOnly ? "yes" : "no"), centralized \(s.baselines.centralized ? "yes" : "no");"
                     + " eval \(s.eval.every.map { "every \($0) rounds" } ?? "after the last round")")
        return lines.joined(separator: "\n")
    }

    /// Each node's examples per domain and the test set's.
    static func dataSummary(_ data: ScenarioData) -> String {
        func counts(_ c: [String: Int]) -> String { c.keys.sorted().map { "\($0) \(c[$0]!)" }.joined(separator: ", ") }
        var lines = ["data:"]
        for (i, c) in data.domainCounts.enumerated() { lines.append("  node \(i): \(data.nodes[i].count) examples (\(counts(c)))") }
        lines.append("  test: \(data.test.count) examples (\(counts(data.testDomainCounts))), sharing no prompt with any node's training data")
        if data.droppedForTest > 0 { lines.append("  \(data.droppedForTest) training examples left out: they repeat a test prompt") }
        return lines.joined(separator: "\n")
    }

    private static func topologyText(_ t: TopologySpec) -> String {
        switch t {
        case .rule(.ring): return "ring"
        case .rule(.full): return "full"
        case let .rule(.regular(k)): return "regular-\(k)"
        case let .edges(edges): return "\(edges.count) explicit edges"
        }
    }

    private static func dataText(_ d: DataSpec) -> String {
        let partition: String
        switch d.partition {
        case .iid: partition = "iid"
        case let .dirichlet(alpha): partition = "dirichlet(alpha \(alpha.plainText))"
        case .oneDomainPerNode: partition = "one domain per node"
        case .filePerNode: partition = "one file per node"
        }
        switch d.source {
        case let .synthetic(domains):
            return "synthetic (\(domains.joined(separator: ", "))), \(partition), \(d.examplesPerNode) examples per node, \(d.testExamples) test examples"
        case let .jsonl(files, domainField, testFile):
            return "JSONL \(files.count == 1 ? files[0] : "\(files.count) files"), \(partition)"
                + (domainField.map { ", domain field '\($0)'" } ?? "")
                + (testFile.map { ", test file \($0)" } ?? ", \(d.testExamples) test examples held out")
        }
    }

    private static func eventText(_ e: ScenarioEvent) -> String {
        let when: String
        switch e.when {
        case let .round(r): when = "round \(r)"
        case let .seconds(s): when = "at \(s.plainText) s"
        }
        let what: String
        switch e.kind {
        case let .kill(node): what = "kill node \(node)"
        case let .restart(node): what = "restart node \(node)"
        case let .pause(node, .rounds(r)): what = "pause node \(node) for \(r) round\(r == 1 ? "" : "s")"
        case let .pause(node, .seconds(s)): what = "pause node \(node) for \(s.plainText) s"
        case let .partition(groups): what = "partition into " + groups.map { "{\($0.map(String.init).joined(separator: ","))}" }.joined(separator: " ")
        case .heal: what = "heal the partition"
        case .join: what = "a new node joins"
        case let .hostile(node, behaviour): what = "node \(node) turns hostile (\(behaviour.rawValue))"
        }
        return "\(when): \(what)"
    }
}

extension Double {
    /// Whole numbers without ".0", others as Swift prints them.
    fileprivate var plainText: String { self == rounded() && abs(self) < 1e15 ? String(Int(self)) : "\(self)" }
}
