import Consensus
import Foundation
import Gossip
import Scenario
import SwarmBase
import TestSupport
import Testing
import TrainData

/// Parses scenario text as if it came from `scenarios/x.json`.
func parseScenario(_ text: String) throws(ScenarioError) -> Scenario {
    try Scenario.parse(bytes: Array(text.utf8), source: "scenarios/x.json")
}

@Suite("Scenario files")
struct ScenarioFileTests {
    static var shipped: [String] {
        let dir = RealCore.repositoryRoot.appendingPathComponent("scenarios").path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().map { dir + "/" + $0 }
    }

    @Test("the repository ships the quickstart and at least three more scenarios")
    func shipsScenarios() {
        let names = Self.shipped.map { URL(fileURLWithPath: $0).lastPathComponent }
        #expect(names.contains("quickstart.json"))
        #expect(names.count >= 4)
    }

    @Test("every shipped scenario parses and validates", arguments: shipped)
    func shippedParses(path: String) throws {
        let scenario = try Scenario.load(path: path)
        #expect(scenario.name + ".json" == URL(fileURLWithPath: path).lastPathComponent)
        #expect(!scenario.comment.isEmpty)
    }

    @Test("a shipped scenario's comment says it has not been run, or what a run here found and the command that ran it",
          arguments: shipped)
    func shippedCommentsAreHonest(path: String) throws {
        let comment = try Scenario.load(path: path).comment
        let notRun = comment.contains("Not run yet")
        let ran = comment.contains("Run here") && comment.contains("swarmtune ")
        #expect(notRun != ran, "\(path): the comment must say either 'Not run yet' or 'Run here' with the swarmtune command")
    }

    @Test("the quickstart is four nodes on the real core, a ring, one domain per node")
    func quickstartShape() throws {
        let path = RealCore.repositoryRoot.appendingPathComponent("scenarios/quickstart.json").path
        let s = try Scenario.load(path: path)
        #expect(s.nodes == 4)
        #expect(s.core == Scenario.defaultCore)
        #expect(s.topology == .rule(.ring))
        #expect(s.data.partition == .oneDomainPerNode)
        #expect(s.training.rounds <= 10)
    }

    @Test("an empty object is a scenario of documented defaults, named after its file")
    func defaults() throws {
        let s = try parseScenario("{}")
        #expect(s.name == "x")
        #expect(s.seed == 1)
        #expect(s.core == "models/SmolLM2-135M-Instruct.Q4_1.gguf")
        #expect(s.nodes == 4)
        #expect(s.topology == .rule(.ring))
        #expect(s.data == DataSpec(source: .synthetic(domains: SyntheticTasks.domains), partition: .iid, examplesPerNode: 80, testExamples: 100))
        #expect(s.lora == LoRASpec(rank: 8, alpha: 16, targets: ["k", "o", "q", "v"]))
        #expect(s.training == TrainingSpec(rounds: 6, learningRate: 1e-3, batch: 4, seqLen: 128, threads: nil))
        #expect(s.gossip == GossipSpec(mode: .factors, localSteps: 8, deadlineMilliseconds: 30_000, wireDType: .f32))
        #expect(s.network == NetworkSpec(all: .ideal, links: []))
        #expect(s.events.isEmpty)
        #expect(s.baselines == Baselines(localOnly: true, centralized: true))
        #expect(s.eval == EvalSchedule(every: nil))
    }

    @Test("every section's fields land in the value types")
    func fullScenario() throws {
        let s = try parseScenario("""
        {"name": "full", "comment": "c", "seed": 7, "core": "a.gguf", "nodes": 4,
         "topology": {"edges": [[0, 1], [1, 2], [2, 3], [3, 4]]},
         "data": {"partition": "dirichlet", "alpha": 0.5, "domains": ["sort", "dates"], "examples-per-node": 10, "test-examples": 8},
         "lora": {"rank": 4, "alpha": 8, "targets": ["v", "q", "down"]},
         "training": {"rounds": 10, "lr": 0.002, "batch": 2, "seq-len": 64, "threads": 1},
         "gossip": {"mode": "frozen-a", "local-steps": 3, "deadline-ms": 500, "wire-dtype": "bf16"},
         "network": {"latency-ms": 50, "jitter-ms": 5, "loss": 0.02, "bandwidth-mbit": 100,
                     "links": [{"from": 0, "to": 1, "latency-ms": 200}]},
         "events": [{"round": 2, "kind": "kill", "node": 1}, {"round": 3, "kind": "restart", "node": 1},
                    {"round": 4, "kind": "pause", "node": 2, "seconds": 1.5}, {"at-seconds": 10, "kind": "join"},
                    {"round": 5, "kind": "partition", "groups": [[0, 1], [2, 3, 4]]}, {"round": 6, "kind": "heal"},
                    {"round": 7, "kind": "hostile", "node": 4, "behaviour": "forged-sender"}],
         "baselines": {"local-only": false, "centralized": true}, "eval": {"every": 5}}
        """)
        #expect(s.name == "full" && s.seed == 7 && s.core == "a.gguf" && s.totalNodes == 5)
        #expect(s.topology == .edges([.init(0, 1), .init(1, 2), .init(2, 3), .init(3, 4)]))
        #expect(s.data == DataSpec(source: .synthetic(domains: ["sort", "dates"]), partition: .dirichlet(alpha: 0.5), examplesPerNode: 10, testExamples: 8))
        #expect(s.lora == LoRASpec(rank: 4, alpha: 8, targets: ["down", "q", "v"]))
        #expect(s.training == TrainingSpec(rounds: 10, learningRate: 0.002, batch: 2, seqLen: 64, threads: 1))
        #expect(s.gossip == GossipSpec(mode: .frozenA, localSteps: 3, deadlineMilliseconds: 500, wireDType: .bf16))
        let all = LinkConditions(latencyMilliseconds: 50, jitterMilliseconds: 5, loss: 0.02, bandwidthMegabits: 100)
        #expect(s.network.all == all)
        var slow = all
        slow.latencyMilliseconds = 200
        #expect(s.network.conditions(from: 0, to: 1) == slow)
        #expect(s.network.conditions(from: 1, to: 0) == all)
        #expect(s.events == [
            ScenarioEvent(when: .round(2), kind: .kill(node: 1)),
            ScenarioEvent(when: .round(3), kind: .restart(node: 1)),
            ScenarioEvent(when: .round(4), kind: .pause(node: 2, length: .seconds(1.5))),
            ScenarioEvent(when: .seconds(10), kind: .join),
            ScenarioEvent(when: .round(5), kind: .partition(groups: [[0, 1], [2, 3, 4]])),
            ScenarioEvent(when: .round(6), kind: .heal),
            ScenarioEvent(when: .round(7), kind: .hostile(node: 4, behaviour: .forgedSender)),
        ])
        #expect(s.baselines == Baselines(localOnly: false, centralized: true))
        #expect(s.eval == EvalSchedule(every: 5))
    }

    @Test("a joined node takes the next index, so later events and links may name it")
    func joinedNodeIsAddressable() throws {
        let s = try parseScenario("""
        {"nodes": 2, "events": [{"round": 1, "kind": "join"}, {"round": 2, "kind": "kill", "node": 2}],
         "network": {"links": [{"from": 2, "to": 0, "loss": 0.5}]}}
        """)
        #expect(s.totalNodes == 3)
        #expect(s.events.last == ScenarioEvent(when: .round(2), kind: .kill(node: 2)))
    }

    @Test("a JSONL source with one file per node is its own partition")
    func filePerNode() throws {
        let s = try parseScenario("""
        {"nodes": 2, "data": {"source": "jsonl", "files": ["a.jsonl", "b.jsonl"], "test-file": "t.jsonl"}}
        """)
        #expect(s.data.source == .jsonl(files: ["a.jsonl", "b.jsonl"], domainField: nil, testFile: "t.jsonl"))
        #expect(s.data.partition == .filePerNode)
    }

    @Test("a file that cannot be read names the file and the reason")
    func unreadable() {
        #expect(throws: ScenarioError.self) { try Scenario.load(path: "/nonexistent/s.json") }
        do {
            _ = try Scenario.load(path: "/nonexistent/s.json")
        } catch {
            #expect(error.file == "/nonexistent/s.json" && error.path == nil)
            #expect(error.description.hasPrefix("/nonexistent/s.json: "))
        }
    }

    @Test("text that is not JSON names the file and the line, without a path")
    func notJSON() {
        do {
            _ = try parseScenario("{\n  \"nodes\": 4,\n}")
            Issue.record("a trailing comma parsed")
        } catch {
            #expect(error.path == nil)
            #expect(error.line == 3)
            #expect(error.description.hasPrefix("scenarios/x.json: line 3: not valid JSON"))
        }
    }

    @Test("an error keeps the line of the value at fault, outside its message")
    func errorLine() {
        do {
            _ = try parseScenario("{\n  \"nodes\": 4,\n  \"seed\": \"x\"\n}")
            Issue.record("a string seed parsed")
        } catch {
            #expect(error.line == 3)
            #expect(error.description == "scenarios/x.json: seed: expected a whole number, found a string")
        }
    }
}
