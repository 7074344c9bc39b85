import Foundation
import Glibc
import LM
import Scenario
@testable import ScenarioProcess
import Testing
import TestSupport

/// The netns backend: each node process in its own network namespace (root only; skipped with the
/// reason where this machine cannot run it).
@Suite("netns backend", .serialized)
struct NetnsBackendTests {
    static let missing = ProcessBackend.netnsMissing()
    let dir = TemporaryDirectory("swarmtune-netns-backend")
    let core: String

    init() throws {
        core = dir.file("tiny.gguf")
        _ = try TinyModel().write(to: core)
    }

    func scenario(rounds: Int = 3, network: String) throws -> Scenario {
        try Scenario.parse(bytes: Array("""
            {"name": "netns-test", "seed": 5, "core": "\(core)", "nodes": 4, "topology": "ring",
             "data": {"partition": "one-domain-per-node", "examples-per-node": 8, "test-examples": 4},
             "lora": {"rank": 2, "alpha": 4, "targets": ["q", "v"]},
             "training": {"rounds": \(rounds), "lr": 0.01, "batch": 2, "seq-len": 320, "threads": 1},
             "gossip": {"local-steps": 2, "deadline-ms": 4000},
             "baselines": {"local-only": false, "centralized": false}, "network": \(network)}
            """.utf8), source: "test.json")
    }

    func options(executable: String = NodeProcessKillTests.binary.path) -> ProcessOptions {
        var o = ProcessOptions(executable: executable)
        o.namespaces = true
        o.threads = 2
        o.probePeriodMilliseconds = 200
        o.stallSeconds = 120
        return o
    }

    @Test("what is missing is one line naming it: root, the ip command")
    func missingRequirements() {
        #expect(NetnsNetwork.missing(euid: 1000, ip: "/usr/sbin/ip")?.hasPrefix("the netns backend needs root") == true)
        #expect(NetnsNetwork.missing(euid: 0, ip: nil)?.hasPrefix("the netns backend needs the 'ip' command") == true)
        #expect(NetnsNetwork.missing(euid: 1000, ip: "/usr/sbin/ip")?.contains("\n") == false)
        #expect(NetnsNetwork.address(0) == "10.213.0.10" && NetnsNetwork.address(300) == "10.213.1.54")
    }

    @Test("netns: 4 hosts with 50 ms latency and 2% loss complete the scenario, and no namespace of the run is left",
          .enabled(if: missing == nil, "cannot run here: \(missing ?? "")"))
    func fourHostsLatencyAndLoss() throws {
        try #require(FileManager.default.isExecutableFile(atPath: NodeProcessKillTests.binary.path), "build the swarmtune executable first")
        let s = try scenario(network: #"{"latency-ms": 50, "loss": 0.02}"#)
        let started = Date()
        let result = try ProcessBackend.run(s, file: "test.json", directory: dir.file("run"), options: options())
        let seconds = Date().timeIntervalSince(started)
        print("netns backend: 4 hosts, latency 50 ms, loss 0.02, 3 rounds in \(seconds) s")
        #expect(result.summary.rounds.map(\.round) == [1, 2, 3])
        for round in result.summary.rounds { #expect(round.nodes.map(\.node) == [0, 1, 2, 3]) }
        #expect(ProcessBackend.netnsLeftovers().isEmpty, "namespaces left: \(ProcessBackend.netnsLeftovers())")
        // Each node listened on its own namespace's address, named by its certificate.
        let log = try String(contentsOfFile: dir.file("run/nodes/node-2/node.log"), encoding: .utf8)
        #expect(log.contains("netns exec swt-\(getpid())-n2 ") && log.contains("--listen 10.213.0.12:7000"))
        #expect(seconds < 60)
    }

    @Test("a node that fails stops the run, and every namespace, veth and the bridge are removed",
          .enabled(if: missing == nil, "cannot run here: \(missing ?? "")"))
    func failureRemovesNamespaces() throws {
        let fake = dir.file("fails.sh")
        try "#!/bin/sh\necho 'a node that cannot start'\nexit 3\n".write(toFile: fake, atomically: true, encoding: .utf8)
        chmod(fake, 0o755)
        let s = try scenario(network: "{}")
        #expect {
            _ = try ProcessBackend.run(s, file: "test.json", directory: dir.file("run"), options: options(executable: fake))
        } throws: { error in
            "\(error)".contains("exited with status 3")
        }
        #expect(ProcessBackend.netnsLeftovers().isEmpty, "namespaces left: \(ProcessBackend.netnsLeftovers())")
    }

    @Test("Ctrl-C: SIGINT to 'swarmtune simulate --backend netns' mid-run stops the nodes, removes the namespaces and exits 1",
          .enabled(if: missing == nil, "cannot run here: \(missing ?? "")"))
    func interruptRemovesNamespaces() throws {
        let binary = NodeProcessKillTests.binary.path
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build the swarmtune executable first")
        let file = dir.file("long.json")
        try """
            {"name": "netns-interrupt", "seed": 5, "core": "\(core)", "nodes": 4,
             "data": {"examples-per-node": 8, "test-examples": 4},
             "lora": {"rank": 2, "alpha": 4, "targets": ["q", "v"]},
             "training": {"rounds": 500, "lr": 0.01, "batch": 2, "seq-len": 320, "threads": 1},
             "gossip": {"local-steps": 2, "deadline-ms": 4000},
             "baselines": {"local-only": false, "centralized": false}}
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["simulate", file, "--backend", "netns", "--out", dir.file("interrupted")]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let prefix = "swt-\(process.processIdentifier)-"
        let ip = try #require(NetnsNetwork.ipCommand())
        // Wait until the nodes are training (a round completed in node 0's log), then interrupt.
        let deadline = Date().addingTimeInterval(60)
        var training = false
        while Date() < deadline && !training && process.isRunning {
            usleep(200_000)
            let log = (try? String(contentsOfFile: dir.file("interrupted/nodes/node-0/node.log"), encoding: .utf8)) ?? ""
            training = log.contains("round 1 ")
        }
        try #require(training, "the run never got to round 1")
        #expect(NetnsNetwork.existing(prefix: prefix, ip: ip).count == 5, "a bridge namespace and one per node while running")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 1)
        #expect(message.contains("interrupted"), "\(message)")
        #expect(NetnsNetwork.existing(prefix: prefix, ip: ip).isEmpty, "namespaces left: \(NetnsNetwork.existing(prefix: prefix, ip: ip))")
    }
}
