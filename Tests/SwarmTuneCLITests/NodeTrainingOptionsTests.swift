import Foundation
import Gossip
import SwarmBase
import SwarmNode
import TestSupport
import Testing
@testable import SwarmTuneCLI

/// `swarmtune node --data`: the training options and what they become in the node's configuration.
@Suite struct NodeTrainingOptionsTests {
    private var base: [String] {
        ["--certs", "certs", "--name", "n1", "--listen", "127.0.0.1:7001", "--state", "run/n1",
         "--swarm-id", "lab", "--core", "m.gguf", "--data", "d.jsonl"]
    }

    private func configuration(_ extra: [String]) throws -> NodeConfiguration {
        let options = try NodeCommand.parse(base + extra)
        return options.configuration(try #require(options.training), seeds: [])
    }

    @Test("--mode product and --wire-dtype bf16 reach the node configuration; the defaults are factors and f32")
    func modeAndWireDType() throws {
        let c = try configuration(["--mode", "product", "--wire-dtype", "bf16"])
        #expect(c.gossip.mode == .product && c.wireDType == .bf16)
        #expect(c.json.objectValue?["wire-dtype"] == .string("bf16"))
        let d = try configuration([])
        #expect(d.gossip.mode == .factors && d.wireDType == .f32)
    }

    @Test("--adaptive-deadline alone spans --deadline-ms / 10 ... --deadline-ms; without it the deadline is fixed")
    func adaptiveDeadlineDefaults() throws {
        let c = try configuration(["--deadline-ms", "20000", "--adaptive-deadline"])
        #expect(c.gossip.deadline == .milliseconds(20000))
        #expect(c.gossip.adaptiveDeadline == AdaptiveDeadline(minimum: .milliseconds(2000), maximum: .milliseconds(20000)))
        #expect(c.json.objectValue?["deadline-min-ms"] == .integer(2000))
        #expect(try configuration(["--deadline-ms", "20000"]).gossip.adaptiveDeadline == nil)
    }

    @Test("given bounds are the adaptive deadline's; a lone bound completes from --deadline-ms")
    func adaptiveDeadlineBounds() throws {
        let both = try configuration(["--adaptive-deadline", "--deadline-min-ms", "500", "--deadline-max-ms", "90000"])
        #expect(both.gossip.adaptiveDeadline == AdaptiveDeadline(minimum: .milliseconds(500), maximum: .milliseconds(90000)))
        let low = try configuration(["--deadline-ms", "1000", "--adaptive-deadline", "--deadline-min-ms", "4000"])
        #expect(low.gossip.adaptiveDeadline == AdaptiveDeadline(minimum: .milliseconds(4000), maximum: .milliseconds(4000)))
        let high = try configuration(["--deadline-ms", "1000", "--adaptive-deadline", "--deadline-max-ms", "50"])
        #expect(high.gossip.adaptiveDeadline == AdaptiveDeadline(minimum: .milliseconds(50), maximum: .milliseconds(50)))
    }

    @Test("the config file sets the adaptive deadline and the wire dtype like the flags do")
    func configFileKeys() throws {
        let dir = TemporaryDirectory("node-options")
        let path = dir.file("node.json")
        try Data(#"{"adaptive-deadline": true, "deadline-max-ms": 8000, "wire-dtype": "bf16", "mode": "product"}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        let c = try configuration(["--config", path])
        #expect(c.gossip.adaptiveDeadline == AdaptiveDeadline(minimum: .milliseconds(3000), maximum: .milliseconds(8000)))
        #expect(c.wireDType == .bf16 && c.gossip.mode == .product)
    }

    @Test("--edges and --topology together, or --edges without --data, are usage errors")
    func edgesConflicts() {
        #expect {
            _ = try NodeCommand.parse(base + ["--topology", "full", "--edges", "e.txt"])
        } throws: { "\($0)" == "\(CLIError.usage(command: "node", message: "give either --topology or --edges FILE, not both"))" }
        let membershipOnly = Array(base.dropLast(2))
        #expect {
            _ = try NodeCommand.parse(membershipOnly + ["--edges", "e.txt"])
        } throws: { "\($0)" == "\(CLIError.usage(command: "node", message: "--edges sets a training node's gossip neighbours: add --data FILE.jsonl"))" }
    }

    @Test("--edges makes the node's neighbour rule the file's graph; a file without this node, or unreadable, is refused naming it")
    func edgesFile() throws {
        let dir = TemporaryDirectory("node-edges")
        let me = NodeID(digest: Digest32(unchecked: [UInt8](repeating: 1, count: 32)))
        let other = NodeID(digest: Digest32(unchecked: [UInt8](repeating: 2, count: 32)))
        let third = NodeID(digest: Digest32(unchecked: [UInt8](repeating: 3, count: 32)))
        let path = dir.file("edges.txt")
        try Data("\(me.hex) \(other.hex)\n".utf8).write(to: URL(fileURLWithPath: path))
        let options = try NodeCommand.parse(base + ["--edges", path])
        let edges = try NodeCommand.edges(path, node: me)
        let c = options.configuration(try #require(options.training), seeds: [], edges: edges)
        #expect(c.gossip.neighbours == .explicit([NeighbourEdge(me, other)!]))
        #expect(c.gossip.neighbours.neighbours(of: me, alive: [me, other, third]) == [other])
        #expect {
            _ = try NodeCommand.edges(path, node: third)
        } throws: { "\($0)" == "\(CLIError.failure("\(path): no edge has this node (\(third.hex)) at either end, so it would never mix with anyone"))" }
        #expect {
            _ = try NodeCommand.edges(dir.file("missing.txt"), node: me)
        } throws: { error in
            "\(error)".contains("--edges \(dir.file("missing.txt"))")
        }
    }
}
