import Dispatch
import Foundation
import Scenario
import ScenarioRun
import SwarmBase

/// Runs a scenario's nodes as real `swarmtune node` processes and carries out its events: the
/// supervisor of the process backend. It never touches what the nodes exchange; it starts them,
/// reads their logs for completed rounds, kills, pauses, restarts and adds nodes when the
/// scenario says, and waits until every live node has run the last round.
///
/// Events follow `EventSchedule`. A kill is SIGKILL (the node's state database keeps its last
/// checkpoint); a restart runs the same command again, so the node resumes after that checkpoint;
/// a pause is SIGSTOP, its end SIGCONT (a stopped node answers nobody: its neighbours wait for it
/// up to their deadline and SWIM may suspect it, as with a real straggler).
final class ProcessSwarm {
    enum NodeState: Equatable { case notStarted, running, paused, dead, finished }

    let scenario: Scenario
    let file: String
    let workspace: SwarmWorkspace
    let options: ProcessOptions
    /// The netns backend's namespaces (nil: every node on loopback in this namespace).
    let network: NetnsNetwork?
    private(set) var timeline: [RunSummary.TimelineEntry] = []
    /// Warnings the nodes printed, by node (`warning: ...` lines).
    private(set) var warnings: [Int: [String]] = [:]
    /// Wall seconds from the start to each node's completion of each round.
    private(set) var completions: [Int: [Int: Double]] = [:]
    private(set) var state: [NodeState]
    private var children: [Int: NodeChild] = [:]
    private var latest: [Int]
    private var schedule: EventSchedule
    /// The partition in force (nil: none) and the hostile nodes: what the fault control files say.
    private var partition: [[Int]]?
    private var hostile: [Int: (behaviour: ScenarioEvent.HostileBehaviour, fromRound: Int)] = [:]
    private var started = Date()

    init(scenario: Scenario, file: String, workspace: SwarmWorkspace, options: ProcessOptions, network: NetnsNetwork? = nil) {
        self.scenario = scenario
        self.file = file
        self.workspace = workspace
        self.options = options
        self.network = network
        state = Array(repeating: .notStarted, count: scenario.totalNodes)
        latest = Array(repeating: 0, count: scenario.totalNodes)
        schedule = EventSchedule(events: scenario.events, initialNodes: scenario.nodes)
    }

    private var seconds: Double { Date().timeIntervalSince(started) }
    private var highestCompleted: Int { latest.max() ?? 0 }
    private var live: [Int] { state.indices.filter { state[$0] == .running || state[$0] == .paused } }

    /// Starts the initial nodes, carries out the events, and returns once every live node has
    /// completed the last round. On a node's failure, a stall or SIGINT/SIGTERM, stops every node
    /// and throws.
    /// `interrupts`: a caller's own catch of SIGINT/SIGTERM (the netns backend holds one from
    /// before its namespaces exist until they are gone); by default the run installs one.
    func run(interrupts given: Interrupts? = nil, progress: (InprocProgress) -> Void) throws(ProcessRunError) {
        let interrupts = given ?? Interrupts()
        defer { if given == nil { interrupts.uninstall() } }
        do {
            try supervise(interrupt: interrupts.latch, progress: progress)
        } catch {
            for child in children.values { child.stop(grace: 5) }
            throw error
        }
    }

    private func supervise(interrupt: Latch, progress: (InprocProgress) -> Void) throws(ProcessRunError) {
        started = Date()
        for i in 0..<scenario.nodes {
            try launch(i, joinThrough: (0..<scenario.nodes).filter { $0 != i }.map(workspace.address), waitFor: scenario.nodes - 1)
        }
        var lastProgress = Date()
        var reported = -1
        while true {
            if interrupt.isOpen { throw .interrupted }
            readLogs()
            for (i, child) in children where !child.isRunning {
                children[i] = nil
                if child.succeeded, latest[i] >= scenario.training.rounds {
                    state[i] = .finished
                } else if !child.killed {
                    throw .nodeFailed(node: i, status: child.ending, log: child.logPath, tail: child.tail(12))
                }
            }
            for due in schedule.due(highestCompleted: highestCompleted, seconds: seconds) {
                try carryOut(due)
            }
            if highestCompleted != reported {
                reported = highestCompleted
                lastProgress = Date()
                let running = live
                let lowest = running.map { latest[$0] }.min() ?? highestCompleted
                progress(InprocProgress(phase: "swarm", done: lowest, total: scenario.training.rounds, virtualSeconds: seconds,
                                        detail: "\(running.count) node processes, rounds \(lowest)-\(highestCompleted) done"))
            }
            // Every node finished or died (events still to come could never fire).
            if live.isEmpty { return }
            if Date().timeIntervalSince(lastProgress) > options.stallSeconds {
                var at: [Int: Int] = [:]
                for i in live { at[i] = latest[i] }
                throw .stalled(seconds: options.stallSeconds, rounds: at)
            }
            usleep(100_000)
        }
    }

    private func launch(_ i: Int, joinThrough: [String], waitFor: Int) throws(ProcessRunError) {
        var executable = options.executable
        var arguments = NodeArguments.make(scenario, workspace: workspace, index: i, joinThrough: joinThrough,
                                           waitFor: waitFor, options: options)
        if let network { (executable, arguments) = network.launch(i, executable: executable, arguments: arguments) }
        children[i] = try NodeChild(index: i, executable: executable, arguments: arguments, logPath: workspace.logPath(i))
        state[i] = .running
    }

    /// Completed rounds and warnings from every running node's new log lines.
    private func readLogs() {
        for (i, child) in children {
            for line in child.newLines() {
                if let r = ProcessSwarmLog.completedRound(line) {
                    latest[i] = max(latest[i], r)
                    completions[i, default: [:]][r] = seconds
                } else if let warning = ProcessSwarmLog.warning(line) {
                    warnings[i, default: []].append(warning)
                }
            }
        }
    }


    private func carryOut(_ due: EventSchedule.Due) throws(ProcessRunError) {
        let round = highestCompleted + 1
        func mark(_ kind: String, _ node: Int?, _ detail: String) {
            var at = round
            if let e = due.event, case .round(let r) = scenario.events[e].when { at = r }
            timeline.append(RunSummary.TimelineEntry(round: at, seconds: seconds, kind: kind, node: node, detail: detail))
        }
        switch due.directive {
        case .kill(let i):
            guard let child = children[i] else { return }
            child.kill()
            children[i] = nil
            state[i] = .dead
            mark("kill", i, "node \(i) killed (SIGKILL) after its round \(latest[i])")
        case .restart(let i):
            guard state[i] == .dead else { return }
            try launch(i, joinThrough: live.map(workspace.address), waitFor: min(1, live.count))
            mark("restart", i, "node \(i) restarts from its state database (last checkpoint: round \(latest[i]))")
        case .pause(let i):
            guard let child = children[i], state[i] == .running else { return }
            child.pause()
            state[i] = .paused
            mark("pause", i, "node \(i) stopped (SIGSTOP): a straggler")
        case .resume(let i):
            guard let child = children[i], state[i] == .paused else { return }
            child.resume()
            state[i] = .running
            mark("resume", i, "node \(i) continues (SIGCONT)")
        case .join(let i):
            try launch(i, joinThrough: live.map(workspace.address), waitFor: min(1, live.count))
            mark("join", i, "node \(i) joins")
        case .partition(let groups):
            partition = groups
            try writeFaultControl()
            mark("partition", nil, "links between " + groups.map { "[" + $0.map(String.init).joined(separator: ", ") + "]" }.joined(separator: " and ")
                 + " lose every frame (loss 1, by each node's fault control file and SIGHUP)")
        case .heal:
            partition = nil
            try writeFaultControl()
            mark("heal", nil, "every link restored")
        case let .hostile(i, behaviour, fromRound):
            hostile[i] = (behaviour, fromRound)
            try writeFaultControl()
            mark("hostile", i, "node \(i) turns hostile from round \(fromRound): \(behaviour.rawValue) (its fault control file and SIGHUP)")
        }
    }

    /// Writes every node's fault control file from the partition in force and the hostile nodes,
    /// then has every running node re-read it (a node started later reads it at its start). In a
    /// partition, a node's file lists with loss 1 every node in another group (a node in no group,
    /// such as one joined since, is with the others in none); a hostile node's file says how.
    private func writeFaultControl() throws(ProcessRunError) {
        var group: [Int: Int] = [:]
        for (k, members) in (partition ?? []).enumerated() { for n in members { group[n] = k } }
        for i in 0..<scenario.totalNodes {
            var lines = "# written by the process backend: \(partition == nil ? "no partition" : "a partition")\n"
            if partition != nil {
                for j in 0..<scenario.totalNodes where j != i && group[j] != group[i] { lines += workspace.address(j) + "=loss:1\n" }
            }
            if let turn = hostile[i] { lines += "hostile \(turn.behaviour.rawValue) from-round \(turn.fromRound)\n" }
            do { try FileIO.writeAtomically(Array(lines.utf8), to: workspace.faultControlPath(i)) } catch {
                throw .setup(what: workspace.faultControlPath(i), reason: error.description)
            }
        }
        for child in children.values { child.reloadFaultControl() }
    }

    /// Stops every node still running (for a caller that gives up).
    func stopAll() {
        for child in children.values { child.stop(grace: 5) }
        children = [:]
    }
}

/// SIGINT and SIGTERM caught into a latch instead of ending the process, from `init` until
/// `uninstall` (then the default actions again), so a supervisor can stop its nodes and clean up.
final class Interrupts {
    let latch = Latch()
    private var sources: [DispatchSourceSignal] = []

    init() {
        let latch = latch
        sources = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { latch.open() }
            source.resume()
            return source
        }
    }

    func uninstall() {
        for s in sources { s.cancel() }
        sources = []
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
