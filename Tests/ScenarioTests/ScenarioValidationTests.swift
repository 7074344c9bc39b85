import Scenario
import Testing

/// A broken scenario and the exact message it must give.
struct BrokenScenario: Sendable, CustomTestStringConvertible {
    let text: String
    let message: String
    init(_ text: String, _ message: String) {
        self.text = text
        self.message = message
    }
    var testDescription: String { message }
}

@Suite("Scenario validation")
struct ScenarioValidationTests {
    static let broken: [BrokenScenario] = [
        // The example of the issue, verbatim.
        .init(#"{"training": {"rounds": 30}, "events": [{"round": 1, "kind": "join"}, {"round": 2, "kind": "join"}, {"round": 3, "kind": "join"}, {"round": 40, "kind": "kill", "node": 0}]}"#,
              "scenarios/x.json: events[3].round: 40 is past training.rounds (30)"),
        // Unknown keys name the known ones.
        .init(#"{"nodse": 4}"#,
              "scenarios/x.json: nodse: unknown field (known here: baselines, comment, core, data, eval, events, gossip, lora, name, network, nodes, seed, topology, training)"),
        .init(#"{"gossip": {"local_steps": 4}}"#,
              "scenarios/x.json: gossip.local_steps: unknown field (known here: deadline-ms, local-steps, mode, wire-dtype)"),
        .init(#"{"events": [{"round": 1, "kind": "kill", "node": 1, "groups": [[0]]}]}"#,
              "scenarios/x.json: events[0].groups: unknown field (known here: at-seconds, kind, node, round)"),
        // Wrong types.
        .init(#"{"nodes": "four"}"#, "scenarios/x.json: nodes: expected a whole number, found a string"),
        .init(#"{"training": {"rounds": 2.5}}"#, "scenarios/x.json: training.rounds: expected a whole number, found a fraction"),
        .init(#"{"baselines": {"centralized": "yes"}}"#, "scenarios/x.json: baselines.centralized: expected true or false, found a string"),
        .init(#"{"data": []}"#, "scenarios/x.json: data: expected an object, found an array"),
        // Ranges and choices.
        .init(#"{"gossip": {"local-steps": 0}}"#, "scenarios/x.json: gossip.local-steps: 0 is outside 1...100000"),
        .init(#"{"network": {"loss": 1.5}}"#, "scenarios/x.json: network.loss: 1.5 is outside 0.0...1.0"),
        .init(#"{"network": {"bandwidth-mbit": 0}}"#, "scenarios/x.json: network.bandwidth-mbit: must be above 0 (leave it out for an unlimited link)"),
        .init(#"{"gossip": {"mode": "average"}}"#, "scenarios/x.json: gossip.mode: 'average' is not one of factors, frozen-a, product"),
        .init(#"{"gossip": {"wire-dtype": "f16"}}"#, "scenarios/x.json: gossip.wire-dtype: 'f16' is not one of f32, bf16"),
        .init(#"{"lora": {"targets": ["q", "attn"]}}"#, "scenarios/x.json: lora.targets[1]: 'attn' is not one of q, k, v, o, gate, up, down"),
        .init(#"{"lora": {"targets": ["q", "q"]}}"#, "scenarios/x.json: lora.targets[1]: 'q' is listed twice"),
        .init(#"{"name": "../up"}"#, "scenarios/x.json: name: '../up' cannot name a run directory: use letters, digits, '.', '_' and '-' (not starting with '.')"),
        .init(#"{"eval": {"nodes": 1}}"#, "scenarios/x.json: eval.nodes: expected true or false, found a number"),
        .init(#"{"training": {"rounds": 4}, "eval": {"every": 5}}"#,
              "scenarios/x.json: eval.every: 5 is past training.rounds (4); the last round is always evaluated"),
        // Topology.
        .init(#"{"topology": "star"}"#, #"scenarios/x.json: topology: 'star' is not ring, full, regular-K (K even) or {"edges": [[a, b], ...]}"#),
        .init(#"{"nodes": 4, "topology": "regular-4"}"#,
              "scenarios/x.json: topology: regular-4 needs more than 4 nodes (nodes is 4); use full, or a smaller K"),
        .init(#"{"nodes": 4, "topology": {"edges": [[0, 1], [2, 3]]}}"#,
              "scenarios/x.json: topology.edges: the graph is not connected: node 2 cannot reach node 0 (2 nodes cut off); gossip could never mix them"),
        .init(#"{"nodes": 3, "topology": {"edges": [[0, 1], [1, 1]]}}"#, "scenarios/x.json: topology.edges[1]: links node 1 to itself"),
        .init(#"{"nodes": 3, "topology": {"edges": [[0, 1], [1, 2], [1, 0]]}}"#,
              "scenarios/x.json: topology.edges[2]: repeats edges[0] (0-1); edges are undirected"),
        .init(#"{"nodes": 3, "topology": {"edges": [[0, 1], [1, 3]]}}"#,
              "scenarios/x.json: topology.edges[1]: 3 is not a node (the swarm has nodes 0...2, joins included)"),
        .init(#"{"nodes": 3, "topology": {"edges": [[0, 1, 2]]}}"#,
              "scenarios/x.json: topology.edges[0]: expected a pair of node indices [a, b], found an array of 3 values"),
        // Node indices in events and links.
        .init(#"{"nodes": 4, "events": [{"round": 1, "kind": "kill", "node": 4}]}"#,
              "scenarios/x.json: events[0].node: 4 is not a node here (the swarm has nodes 0...3 at this point; a join adds the next index)"),
        .init(#"{"nodes": 4, "events": [{"round": 1, "kind": "kill"}]}"#,
              "scenarios/x.json: events[0].node: missing: a kill event names its node (0...3)"),
        .init(#"{"nodes": 4, "network": {"links": [{"from": 0, "to": 9, "loss": 0.1}]}}"#,
              "scenarios/x.json: network.links[0].to: 9 is not a node (the swarm has nodes 0...3, joins included)"),
        .init(#"{"nodes": 4, "network": {"links": [{"from": 1, "to": 1, "loss": 0.1}]}}"#,
              "scenarios/x.json: network.links[0].to: is the same node as from (1); a link joins two nodes"),
        .init(#"{"nodes": 4, "network": {"links": [{"from": 0, "to": 1, "loss": 0.1}, {"from": 0, "to": 1, "loss": 0.2}]}}"#,
              "scenarios/x.json: network.links[1].to: the link 0 → 1 is already given (network.links[0])"),
        .init(#"{"nodes": 4, "network": {"links": [{"from": 0, "to": 1}]}}"#,
              "scenarios/x.json: network.links[0]: changes nothing: give at least one of latency-ms, jitter-ms, loss, bandwidth-mbit"),
        // Partitions.
        .init(#"{"nodes": 4, "events": [{"round": 1, "kind": "partition", "groups": [[0, 1], [2]]}]}"#,
              "scenarios/x.json: events[0].groups: node 3 is in no group; a partition places every node (0...3), killed ones included"),
        .init(#"{"nodes": 4, "events": [{"round": 1, "kind": "partition", "groups": [[0, 1], [1, 2, 3]]}]}"#,
              "scenarios/x.json: events[0].groups[1][0]: node 1 is in groups 0 and 1; groups must not overlap"),
        .init(#"{"nodes": 4, "events": [{"round": 1, "kind": "partition", "groups": [[0, 1, 2, 3]]}]}"#,
              "scenarios/x.json: events[0].groups: has 1 group; a partition needs at least two"),
        .init(#"{"nodes": 4, "events": [{"round": 1, "kind": "partition", "groups": [[0, 1], [2, 3]]}, {"round": 2, "kind": "partition", "groups": [[0], [1, 2, 3]]}]}"#,
              "scenarios/x.json: events[1].kind: a partition is already in place (events[0]); heal it first"),
        .init(#"{"events": [{"round": 2, "kind": "heal"}]}"#,
              "scenarios/x.json: events[0].kind: there is no partition to heal (no earlier partition event without a heal)"),
        // Kill and restart.
        .init(#"{"events": [{"round": 1, "kind": "restart", "node": 2}]}"#,
              "scenarios/x.json: events[0].node: node 2 is not killed here; a restart needs an earlier kill of the same node"),
        .init(#"{"events": [{"round": 1, "kind": "kill", "node": 2}, {"round": 2, "kind": "kill", "node": 2}]}"#,
              "scenarios/x.json: events[1].node: node 2 is killed here (events[0]); restart it first"),
        .init(#"{"nodes": 2, "events": [{"round": 1, "kind": "kill", "node": 0}, {"round": 2, "kind": "kill", "node": 1}]}"#,
              "scenarios/x.json: events[1].node: killing node 1 leaves no node running; restart one first"),
        // Timing, pauses, hostile nodes.
        .init(#"{"events": [{"round": 0, "kind": "join"}]}"#, "scenarios/x.json: events[0].round: 0 is before the first round (1)"),
        .init(#"{"events": [{"round": 1, "at-seconds": 3, "kind": "join"}]}"#, "scenarios/x.json: events[0].at-seconds: give round or at-seconds, not both"),
        .init(#"{"events": [{"kind": "join"}]}"#, "scenarios/x.json: events[0]: gives neither round (1...6) nor at-seconds, so it never happens"),
        .init(#"{"events": [{"round": 5, "kind": "join"}, {"round": 3, "kind": "join"}]}"#,
              "scenarios/x.json: events[1].round: 3 is before events[0].round (5); list events in the order they happen"),
        .init(#"{"events": [{"at-seconds": 5, "kind": "join"}, {"at-seconds": 2.5, "kind": "join"}]}"#,
              "scenarios/x.json: events[1].at-seconds: 2.5 is before events[0].at-seconds (5); list events in the order they happen"),
        .init(#"{"events": [{"round": 1, "kind": "explode"}]}"#,
              "scenarios/x.json: events[0].kind: 'explode' is not one of kill, restart, pause, partition, heal, join, hostile"),
        .init(#"{"events": [{"round": 1}]}"#,
              "scenarios/x.json: events[0]: has no kind: give one of kill, restart, pause, partition, heal, join, hostile"),
        .init(#"{"events": [{"round": 1, "kind": "pause", "node": 1}]}"#,
              "scenarios/x.json: events[0]: a pause says how long: rounds (1...6) or seconds"),
        .init(#"{"events": [{"round": 1, "kind": "pause", "node": 1, "rounds": 7}]}"#, "scenarios/x.json: events[0].rounds: 7 is outside 1...6"),
        .init(#"{"events": [{"round": 1, "kind": "hostile", "node": 1}]}"#,
              "scenarios/x.json: events[0].behaviour: missing: a hostile node needs a behaviour (nan, huge-norm, wrong-shape, forged-sender, replay)"),
        .init(#"{"events": [{"round": 1, "kind": "hostile", "node": 1, "behaviour": "rude"}]}"#,
              "scenarios/x.json: events[0].behaviour: 'rude' is not one of nan, huge-norm, wrong-shape, forged-sender, replay"),
        // Data.
        .init(#"{"data": {"partition": "dirichlet", "alpha": 0}}"#,
              "scenarios/x.json: data.alpha: 0 must be above 0 (small alpha: each node on few domains; large: close to IID)"),
        .init(#"{"data": {"partition": "dirichlet", "alpha": -0.5}}"#,
              "scenarios/x.json: data.alpha: -0.5 must be above 0 (small alpha: each node on few domains; large: close to IID)"),
        .init(#"{"data": {"partition": "dirichlet"}}"#,
              "scenarios/x.json: data.alpha: missing: dirichlet needs alpha (e.g. 0.3: each node mostly on one or two domains; 100: close to IID)"),
        .init(#"{"data": {"alpha": 0.5}}"#, "scenarios/x.json: data.alpha: applies to partition dirichlet only (partition is iid)"),
        .init(#"{"data": {"partition": "by-label"}}"#, "scenarios/x.json: data.partition: 'by-label' is not one of iid, dirichlet, one-domain-per-node"),
        .init(#"{"data": {"domains": ["dates", "poetry"]}}"#, "scenarios/x.json: data.domains[1]: 'poetry' is not a synthetic domain (dates, units, sort, extract)"),
        .init(#"{"data": {"files": ["a.jsonl"]}}"#, "scenarios/x.json: data.files: applies to source jsonl; synthetic data needs no files"),
        .init(#"{"data": {"source": "jsonl"}}"#,
              "scenarios/x.json: data.files: missing: source jsonl reads one JSONL file to split, or one per node (4)"),
        .init(#"{"nodes": 4, "data": {"source": "jsonl", "files": ["a.jsonl", "b.jsonl", "c.jsonl"]}}"#,
              "scenarios/x.json: data.files: 3 files for 4 nodes (joins included): give one file per node, or one file to split"),
        .init(#"{"nodes": 2, "data": {"source": "jsonl", "files": ["a.jsonl", "b.jsonl"]}}"#,
              "scenarios/x.json: data.test-file: missing: with one file per node, the global test set comes from a test file (it never shares an instruction with training data)"),
        .init(#"{"nodes": 2, "data": {"source": "jsonl", "files": ["a.jsonl", "b.jsonl"], "test-file": "t.jsonl", "partition": "iid"}}"#,
              "scenarios/x.json: data.partition: one file per node is already a partition; leave partition out, or give one file to split"),
        .init(#"{"data": {"source": "jsonl", "files": ["a.jsonl"], "partition": "one-domain-per-node"}}"#,
              "scenarios/x.json: data.partition: one-domain-per-node splits by domain: set domain-field to the JSONL field holding each line's domain, or use iid"),
        .init(#"{"data": {"source": "jsonl", "files": ["a.jsonl"], "examples-per-node": 10}}"#,
              "scenarios/x.json: data.examples-per-node: applies to source synthetic; a JSONL file is used whole (split evenly when one file serves every node)"),
        .init(#"{"data": {"source": "jsonl", "files": ["a.jsonl"], "test-file": "t.jsonl", "test-examples": 10}}"#,
              "scenarios/x.json: data.test-examples: is not used with test-file: the whole test file is the test set"),
    ]

    @Test("a broken scenario gives its exact located message", arguments: broken)
    func brokenScenario(_ case_: BrokenScenario) {
        do {
            let s = try parseScenario(case_.text)
            Issue.record("parsed: \(s.name)")
        } catch {
            #expect(error.description == case_.message)
        }
    }

    @Test("each message names the file first and the JSON path second", arguments: broken)
    func messagesAreLocated(_ case_: BrokenScenario) {
        do {
            _ = try parseScenario(case_.text)
        } catch {
            #expect(error.file == "scenarios/x.json")
            #expect(error.path != nil)
            #expect(error.description.hasPrefix("scenarios/x.json: \(error.path ?? "?"): "))
        }
    }
}
