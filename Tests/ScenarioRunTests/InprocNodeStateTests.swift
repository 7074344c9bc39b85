import Foundation
import Scenario
import ScenarioRun
import Store
import SwarmBase
import Testing
import TestSupport

/// Issue 11: an inproc run writes each node's state database (nodes/node-I/state), as a real
/// node leaves it, so the tools that read a node's state read a simulated one.
@Suite("inproc node state databases")
struct InprocNodeStateTests {
    static func write(_ result: InprocResult) throws -> TemporaryDirectory {
        let out = TemporaryDirectory()
        try RunDirectory.write(result, to: out.url.path, version: "test")
        return out
    }

    @Test("each node's database holds the scenario's identity, every round with the summary's figures, and its final adapter as the latest checkpoint")
    func databasesAgreeWithTheSummary() throws {
        let h = try InprocHarness()
        let result = try h.run(try h.ring(nodes: 4, rounds: 3))
        let out = try Self.write(result)
        for i in 0..<4 {
            let store = try NodeStore.openReadOnly(directory: out.file("nodes/node-\(i)/state"))
            #expect(store.meta.identity.swarmID == "t")
            #expect(store.meta.config["node"]?.intValue == i)
            #expect(store.meta.config["adapter-layout"]?["rank"]?.intValue == 2)
            let rounds = try store.rounds(last: 100)
            #expect(rounds.map(\.round) == [1, 2, 3])
            let exchanges = try store.exchanges(last: 1000)
            for r in rounds {
                let figures = try #require(result.summary.rounds.first { $0.round == Int(r.round) }?.nodes.first { $0.node == i })
                #expect(r.loss == figures.loss, "node \(i) round \(r.round)")
                #expect(r.bytesSent == Int64(figures.bytesSent) && r.bytesReceived == Int64(figures.bytesReceived))
                #expect(r.neighbours.count == figures.mixed)
                let accepted = exchanges.filter { $0.round == r.round && $0.direction == .received && $0.accepted }
                #expect(accepted.count == figures.mixed, "node \(i) round \(r.round): \(accepted.count) accepted frames logged")
                let sent = exchanges.filter { $0.round == r.round && $0.direction == .sent }
                #expect(sent.map(\.bytes).reduce(0, +) == r.bytesSent)
                #expect((r.consensusEstimate ?? -1) > 0)
            }
            let checkpoint = try #require(try store.latestCheckpoint())
            #expect(checkpoint.round == 3)
            #expect(checkpoint.adapter == result.nodeAdapters[i]!.values.array)
            #expect(checkpoint.optimizer.count == 16 + 8 * checkpoint.adapter.count)
        }
    }

    @Test("a node killed for good keeps the rounds it completed and no checkpoint")
    func aKilledNodeHasRoundsAndNoCheckpoint() throws {
        let h = try InprocHarness()
        let s = try h.ring(nodes: 4, rounds: 4, extra: #""events": [{"round": 3, "kind": "kill", "node": 1}]"#)
        let result = try h.run(s)
        let out = try Self.write(result)
        let dead = try NodeStore.openReadOnly(directory: out.file("nodes/node-1/state"))
        // The rounds the summary lists node 1 in: those before the kill (which comes as the
        // first node starts round 3, possibly before node 1 has closed round 2).
        let listed = result.summary.rounds.filter { $0.nodes.contains { $0.node == 1 } }.map { Int64($0.round) }
        let deadRounds = try dead.rounds(last: 100).map(\.round)
        #expect(!deadRounds.isEmpty && deadRounds == listed && deadRounds.allSatisfy { $0 < 3 }, "\(deadRounds), listed \(listed)")
        #expect(try dead.latestCheckpoint() == nil)
        let alive = try NodeStore.openReadOnly(directory: out.file("nodes/node-0/state"))
        #expect(try alive.rounds(last: 100).map(\.round) == [1, 2, 3, 4])
        #expect(try alive.latestCheckpoint()?.round == 4)
    }

    @Test("a run written again into the same directory replaces each node's database instead of refusing it as another swarm's")
    func aSecondRunReplacesTheDatabases() throws {
        let h = try InprocHarness()
        let out = TemporaryDirectory()
        try RunDirectory.write(try h.run(try h.ring(nodes: 2, rounds: 2)), to: out.url.path, version: "test")
        let renamed = try h.scenario(String(decoding: try JSONSerialization.data(withJSONObject: [
            "name": "u", "seed": 6, "core": h.corePath, "nodes": 2, "topology": "ring",
            "data": ["partition": "one-domain-per-node", "examples-per-node": 8, "test-examples": 4],
            "lora": ["rank": 2, "alpha": 4, "targets": ["q", "v"]],
            "training": ["rounds": 1, "lr": 0.01, "batch": 2, "seq-len": 160],
            "gossip": ["local-steps": 2, "deadline-ms": 5000], "baselines": ["local-only": false, "centralized": false],
        ]), as: UTF8.self))
        try RunDirectory.write(try h.run(renamed), to: out.url.path, version: "test")
        let store = try NodeStore.openReadOnly(directory: out.file("nodes/node-0/state"))
        #expect(store.meta.identity.swarmID == "u")
        #expect(try store.rounds(last: 100).map(\.round) == [1])
    }
}
