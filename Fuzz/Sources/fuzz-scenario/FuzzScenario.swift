import FuzzSupport
import Glibc
import Scenario
import SwarmBase

// Scenario files (docs/SCENARIOS.md) through the scenario parser and validator: every field's
// type and range, the checks across fields (events against rounds and nodes, links, partitions,
// the topology). Every accepted scenario must encode (`json`, every default written out) to text
// that parses back to the same scenario, and its fault-free twin must parse too. A scenario of
// synthetic data small enough to build in a moment also builds its data (the partitioner, the
// Dirichlet draws).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Fuzz.input(data, size)
    guard let scenario = try? Scenario.parse(bytes: bytes, source: "scenario.json") else { return 0 }
    Fuzz.checkRoundTrip(scenario, "scenario") { try Scenario.parse(bytes: $0.json.serialized(pretty: true), source: "encoded.json") }
    let twin = scenario.withoutFaults()
    Fuzz.checkRoundTrip(twin, "fault-free scenario") { try Scenario.parse(bytes: $0.json.serialized(pretty: false), source: "twin.json") }
    if case .synthetic = scenario.data.source {
        let nodes = scenario.nodes + scenario.events.count
        let examples = nodes.multipliedReportingOverflow(by: scenario.data.examplesPerNode)
        if !examples.overflow, examples.partialValue + scenario.data.testExamples <= 2_000 {
            _ = try? scenario.buildData()
        }
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    Fuzz.writeSeedsIfRequested {
        // The shipped scenarios (their long comments dropped), each with every default written
        // out, and a short one with what they do not use: JSONL data, explicit edges, links.
        let root = String(#filePath).components(separatedBy: "/Fuzz/Sources/").first!
        var seeds: [(name: String, bytes: [UInt8])] = []
        for name in ["quickstart", "churn-16", "hostile-8", "partition-heal-8", "stragglers-8", "noniid-dirichlet-8", "modes-8"] {
            var scenario = try Scenario.load(path: "\(root)/scenarios/\(name).json")
            scenario.comment = ""
            seeds.append(("\(name).json", scenario.json.serialized(pretty: false)))
        }
        let jsonl = #"""
            {"name": "files-3", "nodes": 3, "topology": {"edges": [[0, 1], [1, 2]]},
             "data": {"source": "jsonl", "files": ["a.jsonl"], "domain-field": "domain", "partition": "dirichlet", "alpha": 0.3},
             "network": {"latency-ms": 20, "jitter-ms": 5, "loss": 0.01, "links": [{"from": 0, "to": 1, "loss": 0.5}]},
             "training": {"rounds": 3}, "events": [{"round": 1, "kind": "pause", "node": 2, "rounds": 1}]}
            """#
        _ = try Scenario.parse(bytes: Array(jsonl.utf8), source: "files-3.json")  // a seed the parser refuses covers little
        seeds.append(("files-3.json", Array(jsonl.utf8)))
        return seeds
    }
    return 0
}
