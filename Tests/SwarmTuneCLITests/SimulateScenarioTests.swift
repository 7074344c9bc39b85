import Foundation
import ScenarioRun
import Testing
import TestSupport
@testable import SwarmTuneCLI

/// `swarmtune simulate SCENARIO`: the scenario path of simulate, on the tiny core.
@Suite struct SimulateScenarioTests {
    @Test("simulate SCENARIO writes summary.json, timing.json, report.html and every node's adapter under --out")
    func writesRunDirectory() throws {
        let dir = TemporaryDirectory()
        try TinyModel().write(to: dir.file("tiny.gguf"))
        try """
            {"name": "cli", "core": "\(dir.file("tiny.gguf"))", "nodes": 2, "training": {"rounds": 2, "batch": 2, "seq-len": 160},
             "lora": {"rank": 2, "targets": ["q"]}, "gossip": {"local-steps": 1},
             "data": {"examples-per-node": 4, "test-examples": 4}, "baselines": {"local-only": false, "centralized": false}}
            """.write(toFile: dir.file("s.json"), atomically: true, encoding: .utf8)
        var options = InprocOptions()
        options.threads = 1
        let (out, result) = try SimulateCommand.runScenario(file: dir.file("s.json"), out: dir.file("run"), options: options)
        #expect(out == dir.file("run"))
        #expect(result.summary.rounds.count == 2)
        for file in ["summary.json", "timing.json", "report.html", "nodes/node-0/adapter", "nodes/node-1/adapter", "consensus/adapter"] {
            #expect(FileManager.default.fileExists(atPath: dir.file("run/" + file)), "\(file)")
        }
        // inspect runs/NAME reads the run: both nodes' adapters and the consensus adapter.
        let inputs = try InspectCommand.resolve(dir.file("run"))
        #expect(inputs.map(\.name) == [dir.file("run/nodes/node-0"), dir.file("run/nodes/node-1"), dir.file("run/consensus")])
        #expect(SwarmTuneCommand.main(["inspect", dir.file("run")]) == 0)
        #expect(SwarmTuneCommand.main(["inspect", dir.file("run"), "--json"]) == 0)
        // Each node's state database reads as a real node's: status, and its checkpoint as an
        // adapter equal to the node's adapter directory.
        for i in 0..<2 {
            let state = dir.file("run/nodes/node-\(i)/state")
            #expect(SwarmTuneCommand.main(["status", "--state", state]) == 0)
            let fromState = try InspectCommand.resolve(state)
            let fromAdapter = try InspectCommand.resolve(dir.file("run/nodes/node-\(i)"))
            #expect(fromState.map(\.round) == [2])
            #expect(fromState.first?.adapter.factors == fromAdapter.first?.adapter.factors)
        }
    }

    @Test("simulate SCENARIO names the file and JSON path of a scenario error")
    func locatedScenarioError() throws {
        let dir = TemporaryDirectory()
        try #"{"training": {"rounds": 3}, "events": [{"round": 4, "kind": "join"}]}"#.write(toFile: dir.file("x.json"), atomically: true, encoding: .utf8)
        #expect {
            try SimulateCommand.runScenario(file: dir.file("x.json"), out: nil, options: InprocOptions())
        } throws: { error in
            "\(error)".contains(dir.file("x.json") + ": events[0].round: 4")
        }
    }

    @Test("simulate refuses a quick-swarm option with SCENARIO, and scenario options without one")
    func optionsPerMode() {
        #expect(throws: CLIError.self) { try SimulateCommand.parse(["s.json", "--nodes", "8"]) }
        #expect(throws: CLIError.self) { try SimulateCommand.parse(["--step-ms", "10"]) }
        #expect(throws: CLIError.self) { try SimulateCommand.parse(["s.json", "--backend", "bogus"]) }
        #expect(throws: CLIError.self) { try SimulateCommand.parse(["s.json", "--backend", "netns", "--step-ms", "10"]) }
        #expect(throws: Never.self) { try SimulateCommand.parse(["s.json", "--backend", "netns"]) }
        #expect(throws: Never.self) { try SimulateCommand.parse(["s.json", "--backend", "inproc", "--step-ms", "10", "--out", "r"]) }
    }
}
