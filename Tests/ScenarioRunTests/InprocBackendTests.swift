import Foundation
import Scenario
import ScenarioRun
import Testing

@Suite("inproc backend") struct InprocBackendTests {
    @Test("the same scenario and seed give byte-identical summary.json, with jitter, loss, a kill and a restart")
    func deterministic() throws {
        let h = try InprocHarness()
        let s = try h.ring(rounds: 4, baselines: true, extra: """
            "network": {"latency-ms": 20, "jitter-ms": 30, "loss": 0.1},
            "events": [{"round": 2, "kind": "kill", "node": 2}, {"round": 3, "kind": "restart", "node": 2}],
            "eval": {"every": 2}
            """)
        let a = try RunDirectory.summaryBytes(h.run(s).summary)
        let b = try RunDirectory.summaryBytes(h.run(s).summary)
        #expect(a == b)
        // And the run is not trivially empty: rounds, evals and baselines are in it.
        let summary = try JSONDecoder().decode(RunSummary.self, from: Data(a))
        #expect(summary.rounds.count == 4)
        #expect(summary.rounds[1].eval != nil)
        #expect(summary.final.centralized != nil && summary.final.localOnly?.count == 4)
    }

    @Test("a fault-free ring's mix contracts the consensus distance in every round")
    func ringContracts() throws {
        let h = try InprocHarness()
        let summary = try h.run(h.ring(rounds: 4)).summary
        #expect(summary.rounds.map(\.round) == [1, 2, 3, 4])
        #expect(summary.edges == [[1, 3], [0, 2], [1, 3], [0, 2]])
        for r in summary.rounds {
            let before = try #require(r.consensusDistanceBeforeMix)
            let after = try #require(r.consensusDistance)
            #expect(before > 0, "round \(r.round): the nodes' local steps on different data set them apart")
            #expect(after < before, "round \(r.round): \(after) after the mix, \(before) before")
            #expect(r.nodes.map(\.node) == [0, 1, 2, 3])
            #expect(r.nodes.allSatisfy { $0.mixed == 2 && $0.late == 0 })
        }
    }

    @Test("eval.nodes measures every node that completed an eval round, its own adapter, and no other; without it nothing per node")
    func evalEachNode() throws {
        let h = try InprocHarness()
        let s = try h.ring(rounds: 4, extra: """
            "events": [{"round": 2, "kind": "kill", "node": 1}, {"round": 4, "kind": "restart", "node": 1}],
            "eval": {"every": 1, "nodes": true}
            """)
        let summary = try h.run(s).summary
        #expect(summary.rounds.map(\.round) == [1, 2, 3, 4])
        // Every node that completed the round: node 1 is dead in rounds 2 and 3 and, back at round 4
        // from its round-1 checkpoint, catches up into round 4 (docs/GOSSIP.md, catch-up).
        let measured = [1: [0, 1, 2, 3], 2: [0, 2, 3], 3: [0, 2, 3], 4: [0, 1, 2, 3]]
        for r in summary.rounds {
            let eval = try #require(r.eval, "round \(r.round)")
            let byNode = try #require(eval.byNode, "round \(r.round)")
            #expect(byNode.keys.sorted() == measured[r.round], "round \(r.round)")
            #expect(Set(byNode.keys).isSubset(of: r.nodes.map(\.node)))
            #expect(byNode.values.allSatisfy { (0...1).contains($0) })
        }
        var without = s
        without.eval.nodes = false
        #expect(try h.run(without).summary.rounds.allSatisfy { $0.eval != nil && $0.eval?.byNode == nil })
    }

    @Test("a pause is marked at its round and the resume later, where the swarm is, not at the paused node's own round")
    func pauseAndResumeMarks() throws {
        let h = try InprocHarness()
        let s = try h.ring(rounds: 6, extra: #""events": [{"round": 2, "kind": "pause", "node": 1, "rounds": 2}]"#)
        let marks = try h.run(s).summary.timeline.filter { $0.node == 1 && $0.seenBy == nil }
        #expect(marks.map(\.kind) == ["pause", "resume"])
        #expect(marks.first?.round == 2)
        #expect((marks.last?.round ?? 0) >= 3, "resume marked at round \(marks.last?.round ?? -1)")
    }

    @Test("a killed node's rounds are absent while it is dead, and it completes the run after its restart")
    func killRestart() throws {
        let h = try InprocHarness()
        let s = try h.ring(rounds: 6, extra: """
            "events": [{"round": 2, "kind": "kill", "node": 1}, {"round": 4, "kind": "restart", "node": 1}]
            """)
        let summary = try h.run(s).summary
        #expect(summary.rounds.map(\.round) == [1, 2, 3, 4, 5, 6])
        let byRound = Dictionary(uniqueKeysWithValues: summary.rounds.map { ($0.round, Set($0.nodes.map(\.node))) })
        #expect(byRound[1]!.contains(1))
        // Killed at the start of round 2, back at the start of round 4 from its round-1 checkpoint:
        // round 3 ran entirely without it.
        #expect(!byRound[3]!.contains(1))
        #expect(byRound[6]!.contains(1))
        for other in [0, 2, 3] {
            #expect((1...6).allSatisfy { byRound[$0]!.contains(other) }, "node \(other): \(summary.rounds.map { ($0.round, $0.nodes.map(\.node)) })")
        }
        let events = summary.timeline.filter { $0.node == 1 && $0.seenBy == nil }
        #expect(events.map(\.kind) == ["kill", "restart"])
        // The timeline (and the report's markers) puts each at the round the scenario names.
        #expect(events.map(\.round) == [2, 4])
        // Its neighbours (0 and 2) saw it go and come back.
        #expect(summary.timeline.contains { $0.kind == "dead" && $0.node == 1 && $0.seenBy == 0 })
        #expect(summary.timeline.contains { $0.kind == "alive" && $0.node == 1 && $0.seenBy == 2 })
    }

    @Test("a partition keeps the groups apart until the heal, which brings them together")
    func partitionHeal() throws {
        let h = try InprocHarness()
        let s = try h.ring(rounds: 10, lr: 0.02, extra: """
            "events": [{"round": 2, "kind": "partition", "groups": [[0, 1], [2, 3]]}, {"round": 6, "kind": "heal"}]
            """)
        let result = try h.run(s, trace: true)
        let group = [0: 0, 1: 0, 2: 1, 3: 1]
        // Nobody mixes across the cut while it holds (rounds 2...5).
        for round in 2...5 {
            for node in 0..<4 {
                let partners = result.mixedWith[node]?[round] ?? []
                #expect(partners.allSatisfy { group[$0] == group[node] }, "node \(node), round \(round): mixed with \(partners)")
            }
        }
        #expect((7...10).contains { r in (0..<4).contains { n in (result.mixedWith[n]?[r] ?? []).contains { group[$0] != group[n] } } })
        func gap(_ round: Int) -> Double {
            let v = result.trace
            return squaredDistance(mean([v[0]![round]!, v[1]![round]!]), mean([v[2]![round]!, v[3]![round]!]))
        }
        #expect(gap(5) >= gap(1), "between-group distance \(gap(1)) at the cut, \(gap(5)) at its end")
        #expect(gap(10) < gap(5), "between-group distance \(gap(5)) at the heal, \(gap(10)) at the end")
    }

    @Test("a missing core is refused with its path")
    func missingCore() throws {
        let h = try InprocHarness()
        let s = try h.scenario(#"{"name": "t", "core": "/nonexistent/core.gguf"}"#)
        #expect {
            try InprocBackend.run(s, file: "x.json")
        } throws: { error in
            "\(error)".contains("/nonexistent/core.gguf") && "\(error)".contains("no such file")
        }
    }

    @Test("product mode: the distance between the nodes' updates B·A contracts in every round, and round 1's gap is at most factors mode's")
    func productModeRuns() throws {
        let h = try InprocHarness()
        let factors = try h.ring(rounds: 3)
        var product = factors
        product.gossip.mode = .product
        let p = try h.run(product).summary, f = try h.run(factors).summary
        #expect(p.rounds.map(\.round) == [1, 2, 3])
        for r in p.rounds {
            let before = try #require(r.consensusDistanceBeforeMix), after = try #require(r.consensusDistance)
            #expect(after < before, "round \(r.round): \(after) after the mix, \(before) before")
            #expect(r.nodes.allSatisfy { $0.mixed == 2 })
        }
        // Round 1 mixes the same vectors in both runs; a rank-r truncation of the mean update is the
        // closest rank-r result there is (Eckart–Young), so its gap cannot exceed factors mode's.
        let gp = try #require(p.rounds[0].productGap), gf = try #require(f.rounds[0].productGap)
        #expect(gp <= gf, "product \(gp), factors \(gf)")
        #expect(p.final.consensusDistance?.isFinite == true)
    }
}

@Suite("inproc backend: hostile nodes") struct InprocHostileTests {
    @Test("a node turned hostile (NaN factors) is refused by its neighbours and mixed by nobody")
    func hostileRefused() throws {
        let h = try InprocHarness()
        let s = try h.ring(rounds: 4, extra: #""events": [{"round": 2, "kind": "hostile", "node": 0, "behaviour": "nan"}]"#)
        let summary = try h.run(s).summary
        for r in summary.rounds {
            let byNode = Dictionary(uniqueKeysWithValues: r.nodes.map { ($0.node, $0) })
            for neighbour in [1, 3] {
                #expect(byNode[neighbour]?.refused == (r.round >= 2 ? 1 : 0), "round \(r.round), node \(neighbour)")
                #expect(byNode[neighbour]?.mixed == (r.round >= 2 ? 1 : 2), "round \(r.round), node \(neighbour)")
            }
            #expect(byNode[2]?.refused == 0)
            #expect(r.consensusDistance?.isFinite == true)
        }
    }
}

@Suite("inproc backend: product gap") struct InprocProductGapTests {
    @Test("every round reports the mean relative product gap of the nodes' mixes: above 0 in factors mode, 0 to Float rounding in frozen-a")
    func productGapPerMode() throws {
        let h = try InprocHarness()
        let factors = try h.ring(rounds: 3)
        var frozen = factors
        frozen.gossip.mode = .frozenA
        let f = try h.run(factors).summary.rounds.map(\.productGap)
        let z = try h.run(frozen).summary.rounds.map(\.productGap)
        #expect(f.count == 3 && f.allSatisfy { ($0 ?? 0) > 1e-4 }, "factors: \(f)")
        #expect(z.count == 3 && z.allSatisfy { $0 != nil && $0! < 1e-5 }, "frozen-a: \(z)")
    }
}
