import Adapters
import Foundation
import LM
import Scenario
import SwarmBase
import Train

/// Writes a run's directory: `summary.json` (sorted keys: byte-identical for the same scenario and
/// seed), `timing.json` (wall time, kept apart), each node's final adapter in
/// `nodes/node-I/adapter`, an inproc node's state database in `nodes/node-I/state` (where a
/// process run's node keeps its own) and the consensus adapter in `consensus/adapter` (PEFT
/// directories).
/// `report.html` is rendered from summary.json by the report module, not here.
public enum RunDirectory {
    /// The summary as written: JSON with sorted keys, pretty-printed, newline-terminated.
    public static func summaryBytes(_ summary: RunSummary) throws(InprocError) -> [UInt8] {
        try encode(summary, what: "summary.json")
    }

    public static func write(_ result: InprocResult, to directory: String, version: String) throws(InprocError) {
        do {
            try FileIO.makeDirectories(directory)
            try FileIO.writeAtomically(try summaryBytes(result.summary), to: directory + "/summary.json")
            try FileIO.writeAtomically(try encode(result.timing, what: "timing.json"), to: directory + "/timing.json")
        } catch let e as InprocError {
            throw e
        } catch {
            throw .output(path: directory, reason: "\(error)")
        }
        let hash = result.summary.coreHash
        func provenance(_ extra: [String: String]) -> AdapterProvenance {
            AdapterProvenance(coreHash: hash, swarmtuneVersion: version, seed: result.summary.seed,
                              extra: extra.merging(["scenario": result.summary.scenario, "backend": result.summary.backend]) { a, _ in a })
        }
        var adapters: [(String, LoRAParameters, [String: String])] = result.nodeAdapters.keys.sorted().map {
            ("\(directory)/nodes/node-\($0)/adapter", result.nodeAdapters[$0]!, ["node": String($0)])
        }
        adapters.append(("\(directory)/consensus/adapter", result.consensus, ["node": "consensus"]))
        for i in result.nodeStates.keys.sorted() {
            try result.nodeStates[i]!.write(to: "\(directory)/nodes/node-\(i)/state")
        }
        for (path, lora, extra) in adapters {
            do {
                try FileIO.makeDirectories(String(path[..<path.lastIndex(of: "/")!]))
            } catch {
                throw .output(path: path, reason: "\(error)")
            }
            do {
                try AdapterConversion.adapter(from: lora, provenance: provenance(extra)).write(to: path, replacingExisting: true)
            } catch {
                throw .output(path: directory, reason: error.description)
            }
        }
    }

    private static func encode<T: Encodable>(_ value: T, what: String) throws(InprocError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        do { return Array(try encoder.encode(value)) + [0x0A] } catch {
            throw .output(path: what, reason: "cannot encode: \(error)")
        }
    }
}
