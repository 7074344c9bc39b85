import Foundation
import Gossip
import LM
import Store
import SwarmBase
import SwarmNode
import Tensor
import Tokenizer
import Train
import TrainData
import Transport

extension DemoCommand {
    /// The report of the demo of real node processes (out/report.json).
    struct ProcessReport: Codable {
        struct Node: Codable {
            var name: String
            var domain: String
            var rounds: Int
            var firstLoss: Double?
            var lastLoss: Double?
        }
        var core: String
        var nodes: [Node]
        var rounds: Int
        var localSteps: Int
        var evalExamples: Int
        var exactMatchCore: Double
        var exactMatchConsensus: Double
        var exactMatchConsensusByDomain: [String: Double]
        /// Each node trained alone for the same steps (with --baseline), by node, and their mean.
        var exactMatchLocalOnly: [Double]?
        var exactMatchLocalOnlyMean: Double?
        var seconds: Double
    }

    /// The demo of the product: `nodes` real `swarmtune node` processes on 127.0.0.1, each with its
    /// own certificate, state database and private data of one domain, training and gossiping over
    /// mutually authenticated TLS; then the consensus adapter (the mean of the nodes' last
    /// checkpoints, read from their stores) is evaluated on held-out questions of every domain.
    static func processes(path: String, nodes: Int, rounds: Int, localSteps: Int, out: String, threads: Int?,
                          baseline: Bool) throws(CLIError) {
        let started = Date()
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        guard executable.hasSuffix("swarmtune") else {
            throw .usage(command: name, message: "the demo of node processes runs from the swarmtune executable (this is \(executable)); run it as .build/release/swarmtune demo --processes")
        }
        do {
            try FileIO.removeTree(out)
            try FileIO.makeDirectories(out)
        } catch { throw .failure(error.description) }

        // A swarm CA and one certificate per node (the CA key stays in out/certs; a real swarm keeps it offline).
        let certs = out + "/certs"
        do {
            let ca = try SwarmCA.initialize(dir: certs, days: 30)
            for i in 0..<nodes { _ = try ca.issue(name: "node-\(i)", hosts: ["127.0.0.1"], days: 30) }
        } catch { throw .failure(error.description) }

        // Private data: node i owns one domain; the held-out questions share no instruction with any node's data.
        let domains = SyntheticTasks.domains
        var rng = SeededRandom(seed: 2026)
        var seen = Set<String>()
        var ownDomain: [String] = []
        for i in 0..<nodes {
            let domain = domains[i % domains.count]
            ownDomain.append(domain)
            var jsonl = ""
            var made = 0
            while made < 96 {
                let e = SyntheticTasks.example(domain: domain, rng: &rng)
                guard seen.insert(e.instruction).inserted else { continue }
                jsonl += try Output.jsonLine(InstructionRecord(instruction: e.instruction, output: e.output)) + "\n"
                made += 1
            }
            do {
                try FileIO.makeDirectories("\(out)/node-\(i)")
                try FileIO.writeAtomically(Array(jsonl.utf8), to: "\(out)/node-\(i)/private.jsonl")
            } catch { throw .failure(error.description) }
        }
        var evalSet: [SyntheticTasks.Example] = []
        while evalSet.count < 40 {
            let e = SyntheticTasks.example(domain: domains[evalSet.count % domains.count], rng: &rng)
            if seen.insert(e.instruction).inserted { evalSet.append(e) }
        }

        // Start the nodes: node 0 listens first, the others join through it.
        let basePort = 17_000 + Int(getpid() % 1000) * 10
        Output.out("SwarmTune demo: \(nodes) node processes train one shared core on private data and agree by gossip over TLS")
        try launch(executable: executable, path: path, nodes: nodes, rounds: rounds, localSteps: localSteps, out: out,
                   threads: threads, alone: false, basePort: basePort, domains: ownDomain)
        Output.out("\nnode-0's rounds (every node prints its own):")
        if let text = try? String(contentsOfFile: "\(out)/node-0/node.log", encoding: .utf8) {
            for line in text.split(separator: "\n") where line.contains("] round ") { Output.out("  " + line) }
        }

        // The consensus adapter: the mean of the nodes' last checkpoints, read from their stores.
        // (No local-only baseline here yet: the in-process demo trains one node alone beside the swarm.)
        let (model, core) = try CoreLoading.core(path)
        guard let template = core.chatTemplate else { throw .failure("\(path): no chat template") }
        var states: [NodeStateAdapter] = []
        var reports: [ProcessReport.Node] = []
        for i in 0..<nodes {
            let directory = "\(out)/node-\(i)/state"
            do {
                let state = try NodeStateAdapter.read(directory: directory, swarmtuneVersion: SwarmTuneCommand.version)
                let losses = try NodeStore.openReadOnly(directory: directory).rounds(last: rounds).sorted { $0.round < $1.round }.map(\.loss)
                states.append(state)
                reports.append(.init(name: "node-\(i)", domain: ownDomain[i], rounds: Int(state.round),
                                     firstLoss: losses.first, lastLoss: losses.last))
            } catch let e as NodeStateError { throw .failure(e.description) } catch { throw .failure("\(error)") }
        }
        let lora = states[0].parameters
        guard lora.model == model.config, states.allSatisfy({ $0.layout == states[0].layout }) else {
            throw .failure("the nodes' checkpoints do not share one adapter layout on \(path)")
        }
        let consensus = lora.copy()
        var mean = [Double](repeating: 0, count: lora.count)
        for state in states { for k in 0..<mean.count { mean[k] += Double(state.parameters.values[k]) } }
        for k in 0..<mean.count { consensus.values[k] = Float(mean[k] / Double(states.count)) }

        let pool = ComputePool(threads: threads)
        let examples = evalSet.map { template.example($0.record, tokenizer: core.tokenizer) }
        func exactMatch(_ p: LoRAParameters?, _ subset: [TokenizedExample]) throws(CLIError) -> Double {
            do {
                return try ExactMatch(model: model, tokenizer: core.tokenizer, lora: p, contextLength: 256, pool: pool).run(subset).rate
            } catch { throw .failure("\(error)") }
        }
        let coreRate = try exactMatch(nil, examples)
        var byDomain: [String: Double] = [:]
        var correct = 0.0
        for d in domains {
            let subset = zip(evalSet, examples).filter { $0.0.domain == d }.map(\.1)
            guard !subset.isEmpty else { continue }
            byDomain[d] = try exactMatch(consensus, subset)
            correct += byDomain[d]! * Double(subset.count)
        }
        let consensusRate = correct / Double(examples.count)

        // Local-only baseline: the same node processes, each alone (no neighbours, so no mixing),
        // on the same data for the same rounds and steps, from the same initial adapter.
        var alone: [Double] = []
        if baseline {
            Output.out("\nlocal-only baseline: each node's process again, alone, for the same \(rounds) x \(localSteps) steps")
            try launch(executable: executable, path: path, nodes: nodes, rounds: rounds, localSteps: localSteps, out: out,
                       threads: threads, alone: true, basePort: basePort + 100, domains: ownDomain)
            for i in 0..<nodes {
                let state: NodeStateAdapter
                do { state = try NodeStateAdapter.read(directory: "\(out)/node-\(i)/alone", swarmtuneVersion: SwarmTuneCommand.version) }
                catch { throw .failure(error.description) }
                alone.append(try exactMatch(state.parameters, examples))
            }
        }
        let aloneMean = alone.isEmpty ? nil : alone.reduce(0, +) / Double(alone.count)
        let report = ProcessReport(core: path, nodes: reports, rounds: rounds, localSteps: localSteps, evalExamples: examples.count,
                                   exactMatchCore: coreRate, exactMatchConsensus: consensusRate,
                                   exactMatchConsensusByDomain: byDomain, exactMatchLocalOnly: alone.isEmpty ? nil : alone,
                                   exactMatchLocalOnlyMean: aloneMean, seconds: Date().timeIntervalSince(started))
        let json = try Output.json(report)
        do { try FileIO.writeAtomically(Array(json.utf8), to: out + "/report.json") } catch { throw .failure(error.description) }

        Output.out("\nexact match on \(examples.count) held-out questions of every domain (none in any node's data):")
        Output.out(String(format: "  the core alone:          %5.1f%%", 100 * coreRate))
        Output.out(String(format: "  the consensus adapter:   %5.1f%%   (%@)", 100 * consensusRate,
                          domains.map { String(format: "%@ %.0f%%", $0, 100 * (byDomain[$0] ?? 0)) }.joined(separator: ", ")))
        if let aloneMean {
            Output.out(String(format: "  each node trained alone:  %5.1f%% on average (%@); the swarm is %+.1f points above",
                              100 * aloneMean, alone.enumerated().map { String(format: "node-%d %.0f%%", $0.offset, 100 * $0.element) }
                                .joined(separator: ", "), 100 * (consensusRate - aloneMean)))
        }
        for r in reports {
            Output.out(String(format: "  %@ held only %@ questions; its training loss %.2f -> %.2f", r.name, r.domain,
                              r.firstLoss ?? 0, r.lastLoss ?? 0))
        }
        Output.out(String(format: "report: %@/report.json (%.0f s); node state: %@/node-*/state/node.db", out,
                          report.seconds, out))
    }

    /// Starts `nodes` node processes and waits for all of them: a swarm (node 0 first, the others
    /// joining through it; state in node-i/state) or, `alone`, each by itself (state in node-i/alone).
    static func launch(executable: String, path: String, nodes: Int, rounds: Int, localSteps: Int, out: String, threads: Int?,
                       alone: Bool, basePort: Int, domains: [String]) throws(CLIError) {
        var processes: [Process] = []
        let kind = alone ? "alone" : "state"
        for i in 0..<nodes {
            var arguments = ["node", "--certs", "\(out)/certs", "--name", "node-\(i)", "--listen", "127.0.0.1:\(basePort + i)",
                             "--state", "\(out)/node-\(i)/\(kind)", "--swarm-id", alone ? "demo-alone-\(i)" : "demo", "--core", path,
                             "--data", "\(out)/node-\(i)/private.jsonl", "--rounds", String(rounds),
                             "--local-steps", String(localSteps), "--lr", "1e-3", "--batch", "4", "--seq-len", "96",
                             "--wait-for", alone ? "0" : String(nodes - 1), "--deadline-ms", "120000",
                             "--threads", String(threads ?? 1), "--probe-period-ms", "500"]
            if i > 0 && !alone { arguments += ["--join", "127.0.0.1:\(basePort)"] }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: executable)
            p.arguments = arguments
            let logPath = "\(out)/node-\(i)/\(alone ? "alone" : "node").log"
            FileManager.default.createFile(atPath: logPath, contents: nil)
            guard let log = FileHandle(forWritingAtPath: logPath) else { throw .failure("cannot write \(logPath)") }
            p.standardOutput = log
            p.standardError = log
            do { try p.run() } catch { throw .failure("cannot start node \(i): \(error)") }
            processes.append(p)
            Output.out("  node-\(i) (pid \(p.processIdentifier), domain \(domains[i])\(alone ? ", alone" : "")): log \(logPath)")
            if i == 0 && !alone { usleep(500_000) }
        }
        for (i, p) in processes.enumerated() {
            p.waitUntilExit()
            if p.terminationStatus != 0 {
                for q in processes where q.isRunning { q.terminate() }
                throw .failure("node-\(i) exited with status \(p.terminationStatus); see \(out)/node-\(i)/\(alone ? "alone" : "node").log")
            }
        }
    }
}
