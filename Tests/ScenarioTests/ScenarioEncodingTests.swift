import Scenario
import SwarmBase
import Testing

@Suite("Scenario encoding")
struct ScenarioEncodingTests {
    /// Scenarios that exercise every field and variant (with the shipped files below).
    static let texts = [
        "{}",
        """
        {"name": "full", "comment": "c", "seed": 7, "core": "a.gguf", "nodes": 4,
         "topology": {"edges": [[0, 1], [1, 2], [2, 3], [3, 4]]},
         "data": {"partition": "dirichlet", "alpha": 0.35, "domains": ["sort", "dates"], "examples-per-node": 10, "test-examples": 8},
         "lora": {"rank": 4, "alpha": 8.5, "targets": ["v", "q", "down"]},
         "training": {"rounds": 10, "lr": 0.0002, "batch": 2, "seq-len": 64, "threads": 1},
         "gossip": {"mode": "product", "local-steps": 3, "deadline-ms": 500, "wire-dtype": "bf16"},
         "network": {"latency-ms": 50.5, "jitter-ms": 5, "loss": 0.02, "bandwidth-mbit": 100,
                     "links": [{"from": 0, "to": 1, "latency-ms": 200}, {"from": 4, "to": 2, "loss": 1}]},
         "events": [{"round": 2, "kind": "kill", "node": 1}, {"round": 3, "kind": "restart", "node": 1},
                    {"round": 4, "kind": "pause", "node": 2, "seconds": 1.5}, {"round": 4, "kind": "pause", "node": 3, "rounds": 2},
                    {"at-seconds": 10.25, "kind": "join"},
                    {"round": 5, "kind": "partition", "groups": [[0, 1], [2, 3, 4]]}, {"round": 6, "kind": "heal"},
                    {"round": 7, "kind": "hostile", "node": 4, "behaviour": "replay"}],
         "baselines": {"local-only": false, "centralized": true}, "eval": {"every": 5, "nodes": true}}
        """,
        #"{"nodes": 8, "topology": "regular-4", "data": {"partition": "one-domain-per-node"}}"#,
        #"{"topology": "full", "data": {"source": "jsonl", "files": ["a.jsonl"], "domain-field": "d", "partition": "dirichlet", "alpha": 2}}"#,
        #"{"nodes": 2, "data": {"source": "jsonl", "files": ["a.jsonl", "b.jsonl"], "test-file": "t.jsonl"}}"#,
        #"{"data": {"source": "jsonl", "files": ["a.jsonl"], "test-file": "t.jsonl"}}"#,
    ]

    func roundTrip(_ scenario: Scenario) throws -> Scenario {
        try Scenario.parse(bytes: scenario.json.serialized(pretty: true), source: "encoded.json")
    }

    @Test("parse, encode and parse again gives the same scenario", arguments: texts)
    func roundTripText(_ text: String) throws {
        let s = try parseScenario(text)
        #expect(try roundTrip(s) == s)
    }

    @Test("every shipped scenario survives a round trip", arguments: ScenarioFileTests.shipped)
    func roundTripShipped(path: String) throws {
        let s = try Scenario.load(path: path)
        #expect(try roundTrip(s) == s)
    }

    @Test("the encoding writes every default out, so a run records exactly what it ran")
    func defaultsWritten() throws {
        let json = try parseScenario("{}").json
        #expect(json["training"]?["rounds"] == .integer(6))
        #expect(json["gossip"]?["wire-dtype"] == .string("f32"))
        #expect(json["data"]?["partition"] == .string("iid"))
        #expect(json["core"] == .string(Scenario.defaultCore))
    }
}
