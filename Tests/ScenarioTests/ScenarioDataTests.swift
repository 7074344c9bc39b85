import Foundation
import Scenario
import TestSupport
import Testing
import TrainData

@Suite("Scenario data from files")
struct ScenarioDataTests {
    func write(_ lines: [String], to path: String) throws {
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    func line(_ q: String, _ a: String, domain: String? = nil) -> String {
        domain.map { #"{"instruction": "\#(q)", "output": "\#(a)", "domain": "\#($0)"}"# } ?? #"{"instruction": "\#(q)", "output": "\#(a)"}"#
    }

    @Test("a user file's domain field becomes each example's domain")
    func domainField() throws {
        let dir = TemporaryDirectory()
        try write([line("q1", "a1", domain: "math"), "", line("q2", "a2", domain: "law")], to: dir.file("d.jsonl"))
        let examples = try UserData.load(path: dir.file("d.jsonl"), domainField: "domain")
        #expect(examples.map(\.domain) == ["math", "law"])
        #expect(examples[1].record == .instruction(instruction: "q2", input: "", output: "a2"))
    }

    @Test("a line without the domain field is refused with its file and line")
    func missingDomain() throws {
        let dir = TemporaryDirectory()
        try write([line("q1", "a1", domain: "math"), line("q2", "a2")], to: dir.file("d.jsonl"))
        #expect(throws: ScenarioDataError.missingDomain(file: dir.file("d.jsonl"), line: 2, field: "domain")) {
            try UserData.load(path: dir.file("d.jsonl"), domainField: "domain")
        }
    }

    @Test("a scenario with one user file splits it between every node, the test set held out")
    func scenarioSplitsOneFile() throws {
        let dir = TemporaryDirectory()
        try write((0..<60).map { line("question \($0)", "answer \($0)", domain: ["x", "y"][$0 % 2]) }, to: dir.file("all.jsonl"))
        let s = try parseScenario("""
        {"nodes": 3, "events": [{"round": 1, "kind": "join"}],
         "data": {"source": "jsonl", "files": ["\(dir.file("all.jsonl"))"], "domain-field": "domain",
                  "partition": "one-domain-per-node", "test-examples": 10}}
        """)
        let data = try s.buildData()
        #expect(data.nodes.count == 4)
        #expect(data.test.count == 10)
        #expect(data.nodes.map(\.count).reduce(0, +) == 50)
        for (i, counts) in data.domainCounts.enumerated() { #expect(Set(counts.keys) == [["x", "y"][i % 2]]) }
    }

    @Test("a scenario with one file per node and a test file keeps each node's file apart from the test prompts")
    func scenarioFilePerNode() throws {
        let dir = TemporaryDirectory()
        try write([line("a", "1"), line("b", "2")], to: dir.file("n0.jsonl"))
        try write([line("c", "3"), line("d", "4")], to: dir.file("n1.jsonl"))
        try write([line("b", "2"), line("e", "5")], to: dir.file("test.jsonl"))
        let s = try parseScenario("""
        {"nodes": 2, "data": {"source": "jsonl", "files": ["\(dir.file("n0.jsonl"))", "\(dir.file("n1.jsonl"))"],
                              "test-file": "\(dir.file("test.jsonl"))"}}
        """)
        let data = try s.buildData()
        #expect(data.nodes.map { $0.map(\.prompt) } == [["a"], ["c", "d"]])
        #expect(data.test.map(\.prompt) == ["b", "e"])
        #expect(data.droppedForTest == 1)
        #expect(data.domainCounts == [[ScenarioData.noDomain: 1], [ScenarioData.noDomain: 2]])
    }

    @Test("a synthetic scenario's data has examples-per-node for every node, joined ones included")
    func syntheticScenario() throws {
        let s = try parseScenario("""
        {"nodes": 3, "events": [{"round": 2, "kind": "join"}], "data": {"examples-per-node": 12, "test-examples": 8}}
        """)
        let data = try s.buildData()
        #expect(data.nodes.map(\.count) == [12, 12, 12, 12])
        #expect(data.test.count == 8)
    }

    @Test("a missing user file names the file")
    func missingFile() throws {
        let s = try parseScenario(#"{"data": {"source": "jsonl", "files": ["/nonexistent/d.jsonl"]}}"#)
        do {
            _ = try s.buildData()
            Issue.record("a missing file loaded")
        } catch {
            #expect(error.description.contains("/nonexistent/d.jsonl"))
        }
    }
}
