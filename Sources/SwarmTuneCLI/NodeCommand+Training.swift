import Consensus
import Foundation
import Gossip
import LM
import Membership
import SwarmBase
import SwarmNode
import Tensor
import Train
import Transport

extension NodeCommand {
    /// The node configuration for the training options.
    /// `precision`: the arithmetic `t.precision` resolved to (auto measures it at start).
    /// `edges`: the explicit graph read from `--edges` (nil: `t.topology`).
    func configuration(_ t: Training, seeds: [PeerAddress], precision: Precision = .fp32,
                       edges: Set<NeighbourEdge>? = nil) -> NodeConfiguration {
        var c = NodeConfiguration(swarmID: swarmID, stateDirectory: stateDirectory, listen: listen)
        c.advertise = advertise
        c.seeds = seeds
        c.rounds = t.rounds == 0 ? nil : t.rounds
        c.localSteps = t.localSteps
        c.training.lora = t.lora
        c.training.learningRate = Float(t.learningRate)
        c.training.batch = t.batch
        c.training.seqLen = t.seqLen
        c.training.precision = precision
        c.training.threads = t.threads
        c.swarmSeed = UInt64(t.swarmSeed)
        c.testInitSeed = t.initSeed.map(UInt64.init)
        c.dataSeed = t.dataSeed.map(UInt64.init)
        c.gossip.deadline = .milliseconds(t.deadlineMilliseconds)
        c.gossip.adaptiveDeadline = t.adaptiveDeadlineMilliseconds.map {
            AdaptiveDeadline(minimum: .milliseconds($0.lowerBound), maximum: .milliseconds($0.upperBound))
        }
        c.gossip.mode = t.mode
        c.wireDType = t.wireDType
        c.gossip.neighbours = edges.map(NeighbourRule.explicit) ?? .topology(t.topology)
        c.acceptance = FactorAcceptance(maxNormRatio: t.maxNormRatio, normFloor: 1)
        c.keepCheckpoints = t.keepCheckpoints
        c.waitForMembers = t.waitFor
        c.membershipPeriod = .milliseconds(probePeriodMilliseconds)
        c.linkEmulation = linkEmulation
        return c
    }

    /// The `--edges` file's graph; refused when unreadable, malformed, or when it gives this node
    /// no edge (it would never mix with anyone).
    static func edges(_ file: String, node: NodeID) throws(CLIError) -> Set<NeighbourEdge> {
        let bytes: [UInt8]
        do { bytes = try FileIO.readAll(file, limit: 64 << 20) } catch { throw .failure("--edges \(file): \(error)") }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .failure("--edges \(file): not UTF-8 text (expected two node ids per line)")
        }
        let edges: Set<NeighbourEdge>
        do { edges = try EdgeListFile.parse(text, file: file) } catch { throw .failure(error.description) }
        guard edges.contains(where: { $0.other(than: node) != nil }) else {
            throw .failure("\(file): no edge has this node (\(node.hex)) at either end, so it would never mix with anyone")
        }
        return edges
    }

    /// Loads the core, the private data and the identity, runs rounds until done or a stop signal.
    func runTraining(_ t: Training, signals: StopSignals, faults: FaultControl, reload: StopSignals?) throws(CLIError) {
        let (model, core) = try CoreLoading.core(corePath!)
        let examples = try CoreLoading.examples(t.dataPath, core: core, corePath: corePath!, maxLength: t.seqLen)
        guard !examples.isEmpty else { throw .failure("\(t.dataPath): no training examples") }
        let identity: TLSIdentity
        do { identity = try TLSIdentity.load(certsDirectory: certsDirectory, node: nodeName) } catch {
            throw .failure(NodeError.transport(.certificate(error)).description)
        }
        let seeds: [PeerAddress]
        do { seeds = try self.seeds() } catch { throw .failure("\(error)") }
        let edges = try t.edgesFile.map { file throws(CLIError) in try Self.edges(file, node: identity.nodeID) }
        let pool = ComputePool(threads: t.threads)
        let (precision, note) = t.precision.resolve()
        Self.log(note)
        // With a fault control file the node can be turned hostile (now or on a later SIGHUP).
        let hostile = faultControl.map { _ in HostileSender(node: identity.nodeID) }
        if let behaviour = faults.hostile { Self.log("fault control: hostile from the start: \(behaviour.rawValue)") }
        let padID = core.tokenizer.padID ?? core.tokenizer.eosID ?? 0
        let runtime: NodeRuntime
        do {
            var configuration = configuration(t, seeds: seeds, precision: precision, edges: edges)
            configuration.linkEmulation = faults.links
            if let hostile {
                hostile.turn(faults.hostile, fromRound: faults.hostileFromRound)
                configuration.rewriteOutgoingFactors = { hostile.rewrite($0) }
            }
            runtime = try NodeRuntime(configuration: configuration, identity: identity, model: model,
                                      examples: examples, padID: padID, pool: pool) { report in
                switch report {
                case .round(let line): Self.log(line.text)
                case .warning(let text): Self.log("warning: \(text)")
                }
            }
        } catch { throw .failure(error.description) }
        Self.log("node \(runtime.nodeID.short) training on \(examples.count) private examples, \(t.mode.rawValue) mode, \(t.wireDType) on the wire, "
                 + "schema \(runtime.exchanged.schemaHash.hex.prefix(12)), starting at round \(runtime.firstRound)")
        // The signal waiter runs beside the node; a signal asks the node to stop after its event.
        let watcher = Thread {
            let received = signals.wait()
            Self.log("signal \(received): stopping after the current event, then leaving")
            runtime.stop()
        }
        watcher.start()
        if let reload {
            watchFaultControl(reload) { faults in
                runtime.setLinkEmulation(faults.links)
                hostile?.turn(faults.hostile, fromRound: faults.hostileFromRound)
            }
        }
        let outcome: NodeOutcome
        do { outcome = try runtime.run() } catch { throw .failure(error.description) }
        if let failure = outcome.failure { throw .failure(failure) }
        if faults.links != nil {
            let s = runtime.transportStatistics
            let total = s.framesSent + s.linkDropped
            Self.log("link emulation: \(s.linkDropped) of \(total) payload frames dropped"
                     + (total > 0 ? String(format: " (%.2f%%)", 100 * Double(s.linkDropped) / Double(total)) : ""))
        }
        Self.log("done: \(outcome.roundsCompleted) rounds this run, last complete round \(outcome.lastRound)"
                 + (outcome.stopped ? " (stopped)" : ""))
    }

    /// `--config FILE`: the file's fields become options before the command line's (which win: a
    /// field the command line also gives is not read, unless the option is repeatable, when both
    /// count). A field that is not an option, a value of the wrong JSON kind, or a value its option
    /// refuses (`"rank": 0`, `"mode": "bogus"`) is refused with the file, line and field.
    static func expandArguments(_ arguments: [String]) throws(CLIError) -> [String] {
        guard let at = arguments.firstIndex(where: { $0 == "--config" || $0.hasPrefix("--config=") }) else { return arguments }
        let path: String
        if arguments[at] == "--config" {
            guard at + 1 < arguments.count else { throw .usage(command: name, message: "option --config needs a value") }
            path = arguments[at + 1]
        } else {
            path = String(arguments[at].dropFirst("--config=".count))
        }
        let document: JSONDocument
        do { document = try JSONDocument(path: path) } catch { throw .usage(command: name, message: error.description) }
        guard let object = document.root.objectValue else {
            throw .usage(command: name, message: "\(path): expected a JSON object of options, found \(document.root.typeName)")
        }
        let specs = Dictionary(declarations.map { ($0.name, $0) }) { a, _ in a }
        var rest = arguments
        rest.removeSubrange(at..<(arguments[at] == "--config" ? at + 2 : at + 1))
        let options = Options()
        var expanded: [String] = []
        for key in object.keys.sorted(by: { (document.line(of: JSONPath([.key($0)])) ?? 0) < (document.line(of: JSONPath([.key($1)])) ?? 0) }) {
            let where_ = JSONPath([.key(key)])
            guard key != "config" else { throw .usage(command: name, message: document.error(at: where_, "a config file cannot name another").description) }
            guard let spec = specs["--" + key], !spec.isPositional else {
                throw .usage(command: name, message: document.error(at: where_, "not an option of 'swarmtune node' (see --help)").description)
            }
            if !spec.repeatable, rest.contains(where: { $0 == spec.name || $0.hasPrefix(spec.name + "=") }) { continue }
            let value = object[key]!
            func text(_ v: JSONValue, at place: JSONPath) throws(CLIError) -> String {
                let text: String
                switch v {
                case .string(let s): text = s
                case .integer(let i): text = String(i)
                case .number(let d): text = "\(d)"
                default: throw .usage(command: name, message: document.error(at: place, "expected a string or a number, found \(v.typeName)").description)
                }
                if let problem = options.problem(option: spec.name, value: text) {
                    throw .usage(command: name, message: document.error(at: place, problem).description)
                }
                return text
            }
            if spec.isFlag {
                guard let on = value.boolValue else {
                    throw .usage(command: name, message: document.error(at: where_, "expected true or false, found \(value.typeName)").description)
                }
                if on { expanded.append(spec.name) }
            } else if let items = value.arrayValue {
                guard spec.repeatable else {
                    throw .usage(command: name, message: document.error(at: where_, "takes one value, found an array").description)
                }
                for (i, item) in items.enumerated() { expanded += [spec.name, try text(item, at: JSONPath([.key(key), .index(i)]))] }
            } else {
                expanded += [spec.name, try text(value, at: where_)]
            }
        }
        // The command line's options come last, so they win; --config stays for the parser to read.
        return expanded + ["--config", path] + rest
    }
}
