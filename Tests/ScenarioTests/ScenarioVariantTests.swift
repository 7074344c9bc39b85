import Gossip
import Scenario
import Testing

/// `simulate --without-faults` and `--no-baselines`: the same swarm on the same data, less of it.
@Suite struct ScenarioVariantTests {
    static let churn = """
        {"name": "churn", "seed": 3, "nodes": 5, "topology": "ring",
         "data": {"partition": "dirichlet", "alpha": 0.5, "examples-per-node": 6, "test-examples": 8},
         "training": {"rounds": 8}, "gossip": {"local-steps": 2},
         "events": [{"round": 2, "kind": "kill", "node": 1}, {"round": 3, "kind": "pause", "node": 2, "rounds": 1},
                    {"round": 4, "kind": "restart", "node": 1}, {"round": 4, "kind": "join"},
                    {"round": 5, "kind": "partition", "groups": [[0, 1, 2], [3, 4, 5]]}, {"round": 6, "kind": "heal"},
                    {"round": 7, "kind": "hostile", "node": 3, "behaviour": "nan"}]}
        """

    @Test func withoutFaultsKeepsOnlyTheJoinsAndRenamesTheRun() throws {
        let s = try Scenario.parse(bytes: Array(Self.churn.utf8), source: "churn.json")
        let twin = s.withoutFaults()
        #expect(s.hasFaults && !twin.hasFaults)
        #expect(twin.name == "churn-without-faults")
        #expect(twin.events == [ScenarioEvent(when: .round(4), kind: .join)])
        #expect(twin.totalNodes == s.totalNodes)
        var same = twin
        same.name = s.name
        same.events = s.events
        #expect(same == s)
    }

    /// Found by fuzzing: a 100-byte name's twin (NAME-without-faults) was longer than any scenario
    /// file may name itself, so the twin did not read back.
    @Test func aVariantOfTheLongestNameIsStillAValidName() throws {
        let long = String(repeating: "r", count: Scenario.maxNameBytes)
        var s = try Scenario.parse(bytes: Array(Self.churn.utf8), source: "churn.json")
        s.name = long
        for variant in [s.withoutFaults(), s.averaging(.frozenA), s.withoutFaults().averaging(.product)] {
            #expect(variant.name.utf8.count <= Scenario.maxNameBytes, "\(variant.name)")
            #expect(variant.name.hasSuffix("-without-faults") || variant.name.hasSuffix("-frozen-a") || variant.name.hasSuffix("-product"))
            let back = try Scenario.parse(bytes: variant.json.serialized(pretty: false), source: "variant.json")
            #expect(back == variant)
        }
    }

    @Test func withoutFaultsGivesEveryNodeTheSameDataAndTheSameTestSet() throws {
        let s = try Scenario.parse(bytes: Array(Self.churn.utf8), source: "churn.json")
        #expect(try s.withoutFaults().buildData() == s.buildData())
    }

    @Test func withoutBaselinesChangesNothingElse() throws {
        let s = try Scenario.parse(bytes: Array(Self.churn.utf8), source: "churn.json")
        let lean = s.withoutBaselines()
        #expect(lean.baselines == Baselines(localOnly: false, centralized: false))
        var same = lean
        same.baselines = s.baselines
        #expect(same == s)
    }
}

extension ScenarioVariantTests {
    @Test func averagingByAnotherModeRenamesTheRunAndChangesNothingElse() throws {
        let s = try Scenario.parse(bytes: Array(Self.churn.utf8), source: "churn.json")
        #expect(s.averaging(.factors) == s, "the file's own mode is the file's run")
        let frozen = s.averaging(.frozenA)
        #expect(frozen.name == "churn-frozen-a" && frozen.gossip.mode == .frozenA)
        var same = frozen
        same.name = s.name
        same.gossip.mode = s.gossip.mode
        #expect(same == s)
    }
}
