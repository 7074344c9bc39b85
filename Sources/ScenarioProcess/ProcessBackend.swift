import Exchange
import Foundation
import Glibc
import LM
import Scenario
import ScenarioRun
import SwarmBase
import Tensor
import Tokenizer
import Train

/// The process backend (issue 11): a scenario run as real `swarmtune node` processes on loopback,
/// each with its own certificate, private data file and state database, training and gossiping
/// over mutually authenticated TLS (docs/SCENARIOS.md, "The process backend"). This process only
/// starts, signals and reads them; then it evaluates the result and the baselines as the inproc
/// backend does, and returns the same `InprocResult` (summary, timing, adapters).
public enum ProcessBackend {
    /// Runs `scenario` with its run directory at `directory` (which must hold no earlier run's
    /// nodes). `file` names the scenario in errors.
    public static func run(_ scenario: Scenario, file: String, directory: String, options: ProcessOptions,
                           progress: @escaping (InprocProgress) -> Void = { _ in }) throws(ProcessRunError) -> InprocResult {
        let started = Date()
        if let (field, reason) = unsupported(scenario) { throw .unsupported(file: file, field: field, reason: reason) }
        if options.namespaces, let missing = netnsMissing() { throw .cannotRun(missing) }
        guard FileManager.default.isExecutableFile(atPath: options.executable) else {
            throw .setup(what: "the node executable", reason: "\(options.executable) is not an executable file")
        }
        guard FileManager.default.fileExists(atPath: scenario.core) else {
            throw .scenario(.core(path: scenario.core, reason: "no such file"))
        }
        let model: LlamaModel
        let core: CoreTokenizer
        do {
            model = try LlamaModel(path: scenario.core)
            core = try CoreTokenizer(metadata: model.file.metadata, path: scenario.core)
        } catch {
            throw .scenario(.core(path: scenario.core, reason: error.description))
        }
        guard let template = core.chatTemplate else {
            throw .scenario(.core(path: scenario.core, reason: core.chatTemplateError ?? "the core carries no chat template"))
        }
        let data: ScenarioData
        do { data = try scenario.buildData() } catch { throw .scenario(.data(error)) }
        let setup: Setup
        do {
            setup = try Setup(scenario: scenario, file: file, model: model, template: template, tokenizer: core.tokenizer, data: data)
        } catch { throw .scenario(error) }
        let threads = options.threads ?? ProcessInfo.processInfo.activeProcessorCount
        let pool = ComputePool(threads: threads)
        let evaluator = TestSetEvaluator(model: model, tokenizer: core.tokenizer, template: template, test: data.test, lanes: pool.threads)
        let exchanged = ExchangedFactors(layout: setup.initial, mode: scenario.gossip.mode, wireDType: scenario.gossip.wireDType)

        let n = scenario.totalNodes
        let hosts = options.namespaces ? (0..<n).map(NetnsNetwork.address) : Array(repeating: options.host, count: n)
        let ports = options.namespaces ? Array(repeating: options.basePort ?? 7000, count: n)
                                       : try LoopbackPorts.ports(count: n, host: options.host, base: options.basePort)
        let workspace = try SwarmWorkspace.create(directory: directory, data: data, hosts: hosts, ports: ports)
        try workspace.writeEdges(scenario.topology)
        let swarm: ProcessSwarm
        if options.namespaces {
            // Caught from before the namespaces exist until they are gone: every way out removes them.
            let interrupts = Interrupts()
            defer { interrupts.uninstall() }
            let ip = NetnsNetwork.ipCommand()!
            NetnsNetwork.sweepStale(ip: ip)
            let network = try NetnsNetwork(nodes: n, ip: ip)
            defer { network.remove() }
            if interrupts.latch.isOpen { throw .interrupted }
            swarm = ProcessSwarm(scenario: scenario, file: file, workspace: workspace, options: options, network: network)
            try swarm.run(interrupts: interrupts, progress: progress)
        } else {
            swarm = ProcessSwarm(scenario: scenario, file: file, workspace: workspace, options: options)
            try swarm.run(progress: progress)
        }

        // Every round's figures and consensus, read back from the nodes' databases.
        let collector = RunCollector(setup: setup, exchanged: exchanged, workspace: workspace)
        var records: [Int: RunCollector.NodeRecords] = [:]
        for i in 0..<scenario.totalNodes where swarm.state[i] != .notStarted { records[i] = try collector.open(i) }
        var summary = setup.summary(backend: "process", coreHash: model.computeCoreHash().hex)
        var ledger = RoundLedger(exchanged: exchanged, layout: setup.initial, keepNodeVectors: scenario.eval.nodes)
        var lastEval: (vector: [Float], eval: RunSummary.Eval)?
        for round in 1...max(1, scenario.training.rounds) {
            for i in records.keys.sorted() {
                let r = records[i]!
                guard r.checkpoints.contains(round), let figures = collector.figures(r, node: i, round: round) else { continue }
                let p = try collector.parameters(r, node: i, round: round)
                ledger.completed(round: round, node: figures, vector: exchanged.vector(of: p),
                                 productGap: r.rounds[round]?.productGap)
            }
            for (r, sums) in ledger.close(below: round + 1) {
                var record = RunSummary.Round(round: r, consensusDistance: sums.distanceAfter,
                                              productGap: sums.productGap,
                                              bytes: sums.nodes.reduce(0) { $0 + $1.bytesSent },
                                              nodes: sums.nodes.sorted { $0.node < $1.node })
                if scenario.eval.evaluates(round: r, lastRound: scenario.training.rounds) {
                    do {
                        if let done = try evaluator.evaluate(round: r, sums: sums, setup: setup, exchanged: exchanged, progress: progress) {
                            record.eval = done.eval
                            lastEval = (done.mean, done.eval)
                        }
                    } catch { throw .scenario(error) }
                }
                summary.rounds.append(record)
            }
        }
        summary.timeline = swarm.timeline
        summary.edges = collector.edges(records)

        // The end: every node that finished, at its last checkpoint.
        var adapters: [Int: LoRAParameters] = [:]
        for (i, r) in records {
            guard let last = r.checkpoints.max() else { continue }
            adapters[i] = try collector.parameters(r, node: i, round: last)
        }
        let finishers = (0..<scenario.totalNodes).filter { swarm.state[$0] == .finished && adapters[$0] != nil }
        let vectors = finishers.map { exchanged.vector(of: adapters[$0]!) }
        let mean = ledger.mean(vectors) ?? exchanged.vector(of: setup.initial)
        let consensus = setup.adapter(exchanged, mean)
        do {
            summary.final = try Baselines.finalFigures(setup, distance: ledger.distance(vectors), consensus: consensus, lastEval: lastEval, mean: mean,
                                                       evaluator: evaluator, pool: pool, workers: threads, progress: progress)
        } catch { throw .scenario(error) }

        var usage = rusage()
        _ = getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        let own = InprocBackend.peakRSS() ?? 0
        let timing = RunTiming(seconds: Date().timeIntervalSince(started), secondsPerRound: secondsPerRound(swarm.completions),
                               peakRSSBytes: max(own, usage.ru_maxrss * 1024),
                               cpu: MachineInfo.cpuDescription(isa: pool.isaName), threads: threads)
        return InprocResult(summary: summary, timing: timing, nodeAdapters: adapters, consensus: consensus, trace: [:], mixedWith: [:])
    }

    /// What this machine lacks for the netns backend (one line: root, `ip`, namespaces), or nil.
    public static func netnsMissing() -> String? { NetnsNetwork.missing() }

    /// The netns namespaces of this process's runs that exist now (none once a run is over).
    public static func netnsLeftovers() -> [String] {
        guard let ip = NetnsNetwork.ipCommand() else { return [] }
        return NetnsNetwork.existing(prefix: NetnsNetwork.prefix + "\(getpid())-", ip: ip)
    }

    /// What in `scenario` this backend cannot run yet: (JSON path, why).
    static func unsupported(_ scenario: Scenario) -> (String, String)? {
        NodeArguments.problem(scenario)
    }

    /// Wall seconds per round: from the previous round's last completion to this one's.
    static func secondsPerRound(_ completions: [Int: [Int: Double]]) -> [Double] {
        var last: [Int: Double] = [:]
        for (_, rounds) in completions { for (r, t) in rounds { last[r] = max(last[r] ?? 0, t) } }
        var previous = 0.0
        return last.keys.sorted().map { r in
            defer { previous = last[r]! }
            return last[r]! - previous
        }
    }
}
