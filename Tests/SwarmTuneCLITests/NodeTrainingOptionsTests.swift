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
}
