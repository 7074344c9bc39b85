import SwarmBase
import Testing
import TestSupport
import Transport
@testable import SwarmTuneCLI

/// `swarmtune node` and `members`: their command lines (moved from SwarmNode's own parser).
@Suite struct NodeOptionsTests {
    private let core = String(repeating: "c0", count: 32)
    private var base: [String] {
        ["--certs", "certs", "--name", "n1", "--listen", "127.0.0.1:7001", "--state", "run/n1",
         "--swarm-id", "lab", "--core-hash", core]
    }

    @Test("a full command line parses, repeated --join in order, defaults filled in")
    func parsesFullLine() throws {
        let options = try NodeCommand.parse(base + ["--join", "127.0.0.1:7000", "--join=localhost:7002", "--probe-period-ms", "200"])
        #expect(options.joins == ["127.0.0.1:7000", "localhost:7002"])
        #expect(options.probePeriodMilliseconds == 200)
        #expect(options.coreHash?.hex == core)
        #expect(options.schemaHash == .zero)
        #expect(options.suspicionAlpha == 2 && options.suspicionBeta == 3)
        #expect(options.peersFile == nil && options.advertise == nil)
    }

    @Test("bad or missing values are usage errors naming the option", arguments: [
        (["--core-hash", "xyz"], "--core-hash"),
        (["--probe-period-ms", "0"], "--probe-period-ms"),
        (["--probe-period-ms", "abc"], "--probe-period-ms"),
        (["--suspicion-alpha", "-1"], "--suspicion-alpha"),
        (["--join", "127.0.0.1"], "127.0.0.1"),
        (["--join", "127.0.0.1:7000", "--peers", "p.txt"], "--peers"),
        (["--bogus", "1"], "--bogus"),
        (["--join"], "--join"),
        (["--core", "m.gguf"], "--core"),
        (["--deadline-min-ms", "100"], "--adaptive-deadline"),
        (["--deadline-max-ms", "100"], "--adaptive-deadline"),
        (["--adaptive-deadline", "--deadline-min-ms", "900", "--deadline-max-ms", "100"], "--deadline-min-ms 900"),
        (["--adaptive-deadline", "--deadline-min-ms", "0"], "--deadline-min-ms"),
        (["--wire-dtype", "f16"], "--wire-dtype"),
        (["--link-latency-ms", "-5"], "--link-latency-ms"),
        (["--link-jitter-ms", "x"], "--link-jitter-ms"),
        (["--link-loss", "1.5"], "--link-loss"),
        (["--link-bandwidth-mbit", "0"], "--link-bandwidth-mbit"),
        (["--link", "127.0.0.1:7000"], "--link"),
        (["--link", "127.0.0.1:7000=loss:2"], "--link"),
        (["--link", "127.0.0.1:7000=delay:5"], "unknown key 'delay'"),
        (["--link", "127.0.0.1=loss:0.1"], "--link"),
        (["--link", "127.0.0.1:7000=loss:0.1", "--link", "127.0.0.1:7000=loss:0.2"], "given twice"),
        (["--link-seed", "-1"], "--link-seed"),
    ])
    func rejectsBadInput(extra: [String], mentions: String) {
        do {
            _ = try NodeCommand.parse(base + extra)
            Issue.record("accepted \(extra)")
        } catch {
            #expect(error.description.contains(mentions), "\(error)")
            #expect(error.exitCode == 2)
        }
    }

    @Test("the --link-* options: none means no emulation; defaults for every link, overrides per peer address read over them")
    func linkOptions() throws {
        #expect(try NodeCommand.parse(base).linkEmulation == nil)
        #expect(try NodeCommand.parse(base + ["--link-loss", "0"]).linkEmulation == nil)
        let options = try NodeCommand.parse(base + ["--link-latency-ms", "50", "--link-loss", "0.02", "--link-bandwidth-mbit", "100",
                                                    "--link", "127.0.0.1:7002=latency-ms:120", "--link-seed", "7"])
        let e = try #require(options.linkEmulation)
        #expect(e.all == LinkConditions(latencyMilliseconds: 50, jitterMilliseconds: 0, loss: 0.02, bandwidthMegabits: 100))
        #expect(e.conditions(toAddress: "127.0.0.1:7002") == LinkConditions(latencyMilliseconds: 120, jitterMilliseconds: 0, loss: 0.02, bandwidthMegabits: 100))
        #expect(e.conditions(toAddress: "127.0.0.1:7003") == e.all)
        #expect(e.seed == 7)
        #expect(options.configuration(coreHash: .zero).transport.linkEmulation == e)
    }

    @Test("--fault-control: link lines over the link options and one 'hostile' line; a bad line names the file and line")
    func faultControlFile() throws {
        let dir = TemporaryDirectory("swarmtune-fault-control")
        let path = dir.file("faults")
        let options = try NodeCommand.parse(base + ["--fault-control", path])
        let none = try options.faultControlNow()
        #expect(none.links?.byAddress.isEmpty == true && none.hostile == nil, "a missing file holds nothing")
        try "# cut\n127.0.0.1:7002=loss:1\n\nhostile huge-norm\n".write(toFile: path, atomically: true, encoding: .utf8)
        let faults = try options.faultControlNow()
        #expect(faults.hostile == .hugeNorm && faults.hostileFromRound == 0)
        try "# written on Windows\r\n127.0.0.1:7002=loss:1\r\nhostile forged-sender\r\n".write(toFile: path, atomically: true, encoding: .utf8)
        let crlf = try options.faultControlNow()
        #expect(crlf.hostile == .forgedSender && crlf.links?.conditions(toAddress: "127.0.0.1:7002").loss == 1, "CRLF line ends read like LF")
        try "hostile nan from-round 3\n".write(toFile: path, atomically: true, encoding: .utf8)
        let timed = try options.faultControlNow()
        #expect(timed.hostile == .nan && timed.hostileFromRound == 3)
        #expect(faults.links?.conditions(toAddress: "127.0.0.1:7002").loss == 1)
        for (text, line) in [("hostile\n", 1), ("127.0.0.1:7002=loss:1\nhostile sneaky\n", 2), ("hostile nan\nhostile replay\n", 2),
                             ("hostile nan extra\n", 1), ("hostile nan from-round\n", 1), ("hostile nan from-round -1\n", 1),
                             ("hostile nan since 3\n", 1), ("127.0.0.1=loss:1\n", 1)] {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            #expect { _ = try options.faultControlNow() } throws: { error in
                "\(error)".contains("--fault-control \(path):\(line): ")
            }
        }
    }

    @Test("every required option is reported when missing")
    func requiresOptions() {
        for name in ["--certs", "--name", "--listen", "--state", "--swarm-id", "--core-hash"] {
            var arguments = base
            if let index = arguments.firstIndex(of: name) { arguments.removeSubrange(index...index + 1) }
            do {
                _ = try NodeCommand.parse(arguments)
                Issue.record("accepted a line without \(name)")
            } catch {
                #expect(error.description.contains(name))
            }
        }
    }

    @Test("the command dispatcher returns 2 for usage errors and 1 for runtime failures")
    func exitCodes() {
        #expect(SwarmTuneCommand.main([]) == 2)
        #expect(SwarmTuneCommand.main(["frobnicate"]) == 2)
        #expect(SwarmTuneCommand.main(["members"]) == 2)
        #expect(SwarmTuneCommand.main(["members", "--state", "/nonexistent/swarmnode-state"]) == 1)
        #expect(SwarmTuneCommand.main(["node", "--help"]) == 0)
        #expect(SwarmTuneCommand.main(["certs", "frobnicate"]) == 2)
        #expect(SwarmTuneCommand.main(["certs", "issue", "../x", "--dir", "/nonexistent"]) == 2)
    }
}
