import Consensus
import Foundation
import Gossip
import LM
import Membership
import SwarmBase
import ModelIO
import SwarmNode
import Tensor
import Train
import Transport

/// `swarmtune node`: a training node (with --data: local LoRA steps, Dec-LoRA gossip rounds with
/// its neighbours, state in SQLite), or a membership-only node (without --data).
struct NodeCommand: Command {
    static let name = "node"
    static let summary = "run a node: train LoRA on private data and average factors with neighbours over mutual TLS"
    static let discussion = """
        With --data, the node trains LoRA on that private JSONL file over the shared core (--core),
        and every --local-steps steps runs a gossip round: it sends its low-rank factors (nothing
        else) to its neighbours in the membership view (--topology over the alive ids, sorted, the
        same rule on every node), waits for theirs until --deadline-ms, and averages with
        Metropolis-Hastings weights 1/(1+max(d_i,d_j)); a neighbour that misses the deadline has
        its weight returned to self (--adaptive-deadline: the wait follows the neighbours' arrival
        times). --mode product averages the products B·A instead and re-factorises them by
        truncated SVD; every round line reports the product gap ‖mean(B_jA_j) − B'A'‖/‖mean(B_jA_j)‖.
        Received factors are checked (adapter schema, shapes, finite
        values, a norm at most --max-norm-ratio times its own plus 1) and every decision is stored.
        One line per round: round, loss, neighbours mixed, late, refused, bytes, consensus estimate,
        product gap, seconds. State lives in STATE/node.db (SQLite, WAL): a restart resumes from the last
        complete round; a database of another node, swarm, core or schema is refused.
        Every option can also come from --config FILE, a JSON object whose keys are the option
        names without the dashes ({"rounds": 20, "join": ["127.0.0.1:7000"], "dora": false});
        options on the command line win over the file.

        Without --data: SWIM membership only, until SIGTERM/SIGINT, then leaves gracefully (grace:
        two probe periods, at least 0.5 s) and exits 0. Writes STATE/membership.json (id,
        incarnation) and STATE/members.json (the view, every period; 'swarmtune members' prints it).
        Logs each membership change with a wall-clock stamp. Peers must share the swarm id and the
        core hash. Suspicion lasts between alpha and alpha x beta probe periods (Lifeguard); the
        node defaults 2 and 3 detect a crashed peer in 3-5 s at a 1 s period on loopback (docs/NODE.md).
        """
    static let examples = [
        "node --certs certs --name n0 --listen 127.0.0.1:7000 --state runs/n0 --swarm-id lab --core models/SmolLM2-135M-Instruct.Q4_1.gguf --data private.jsonl --rounds 20 --local-steps 8",
        "node --certs certs --name seed --listen 127.0.0.1:7000 --state run/seed --swarm-id lab --core models/SmolLM2-135M-Instruct.Q4_1.gguf",
        "node --certs certs --name n1 --listen 127.0.0.1:7001 --state run/n1 --join 127.0.0.1:7000 --swarm-id lab --core-hash \(String(repeating: "c0", count: 32))",
    ]
    static let defaultSuspicionAlpha = 2.0
    static let defaultSuspicionBeta = 3.0

    struct Options: Declarations {
        let certs = Option.text("--certs", "DIR", help: "the certificate directory (ca.crt, nodes/NAME.crt and .key)", required: true)
        let name = Option.text("--name", "NAME", help: "the node's certificate name (from 'swarmtune certs issue NAME')", required: true)
        let listen = Option.address("--listen", help: "the address to listen on", required: true)
        let state = Option.text("--state", "DIR", help: "the node's state directory (one per node)", required: true)
        let peers = Option.text("--peers", "FILE", help: "a file of seed addresses (HOST:PORT per line); or give --join")
        let join = Option.address("--join", help: "a seed to join through", repeatable: true)
        let swarmID = Option.text("--swarm-id", "ID", help: "the swarm's name; peers of another swarm are refused", required: true)
        let coreHash = Option.digest("--core-hash", help: "the core hash (SHA-256 of the core, 'swarmtune info' prints it); or give --core")
        let core = Option.text("--core", "PATH", help: "a GGUF core whose hash is used as --core-hash")
        let schemaHash = Option.digest("--schema-hash", help: "the adapter schema hash peers must share (default: 64 zeros)")
        let advertise = Option.address("--advertise", help: "what peers should dial, when it differs from --listen (e.g. listening on 0.0.0.0)")
        let probePeriod = Option.integer("--probe-period-ms", "MS", help: "SWIM probe period in milliseconds", default: 1000, range: 10...60_000)
        let alpha = Option.number("--suspicion-alpha", help: "Lifeguard alpha: suspicion lasts at least alpha x max(1, log10 n) periods",
                                  default: NodeCommand.defaultSuspicionAlpha, range: 0.5...100)
        let beta = Option.number("--suspicion-beta", help: "Lifeguard beta: the longest suspicion (no confirmations) is beta x the shortest",
                                 default: NodeCommand.defaultSuspicionBeta, range: 1...100)
        let config = Option.text("--config", "FILE.json", help: "read options from a JSON object (keys: option names without dashes)")
        // Training (with --data).
        let data = Option.text("--data", "FILE.jsonl", help: "private training data: makes this a training node (needs --core)")
        let rounds = Option.integer("--rounds", help: "the last round to run, counted across restarts (0: until stopped)", default: 0, range: 0...10_000_000)
        let localSteps = Option.integer("--local-steps", "K", help: "local optimizer steps per round", default: 8, range: 1...1_000_000)
        let deadline = Option.integer("--deadline-ms", "MS", help: "how long a round waits for the neighbours' factors (with --adaptive-deadline: the first round's wait)", default: 30_000, range: 1...86_400_000)
        let adaptiveDeadline = Flag("--adaptive-deadline", help: "wait 1.5 x the slowest neighbour arrival of the last 8 rounds instead, within --deadline-min-ms ... --deadline-max-ms")
        let deadlineMin = Option.integer("--deadline-min-ms", "MS", help: "the shortest adaptive deadline (default: --deadline-ms / 10)", range: 1...86_400_000)
        let deadlineMax = Option.integer("--deadline-max-ms", "MS", help: "the longest adaptive deadline (default: --deadline-ms)", range: 1...86_400_000)
        let mode = Option.choice("--mode", [("factors", AveragingMode.factors), ("frozen-a", AveragingMode.frozenA), ("product", AveragingMode.product)],
                                 help: "what is averaged: A and B (Dec-LoRA), B only with A frozen from the swarm seed (exact, half the bytes), or the products B·A re-factorised by truncated SVD (A and B travel, as in factors)",
                                 default: .factors)
        let wireDType = Option.choice("--wire-dtype", [("f32", TensorDType.f32), ("bf16", TensorDType.bf16)],
                                      help: "the element type of the factors sent (bf16: half the bytes, 8 significant bits); every node reads either",
                                      default: .f32)
        let topology = Option.custom("--topology", "ring|full|regular-K", help: "the neighbour rule over the alive members",
                                     default: "ring", allowed: "ring, full or regular-K (K even)") { text in
            Topology(name: text) == nil ? .failure(ValueProblem("must be ring, full or regular-K (K even), got '\(text)'")) : .success(text)
        }
        let edges = Option.text("--edges", "FILE", help: "a fixed gossip graph instead of --topology: two node ids (hex) per line, one edge each; every node of the swarm reads the same file")
        let rank = Option.integer("--rank", help: "LoRA rank (every node of a swarm uses the same)", default: 8, range: 1...512)
        let loraAlpha = Option.number("--alpha", help: "LoRA alpha", default: 16, range: 0.001...100_000)
        let targets = Option.loraTargets(help: "the adapted projections")
        let lr = Option.number("--lr", help: "learning rate (AdamW)", default: 2e-4, range: 0...1)
        let batch = Option.integer("--batch", help: "examples per step", default: 4, range: 1...1024)
        let seqLen = Option.integer("--seq-len", help: "tokens per example (longer ones are truncated)", default: 128, range: 8...8192)
        let precision = Option.precision
        let threads = Option.threads
        let swarmSeed = Option.integer("--swarm-seed", help: "the seed every node draws the initial A from", default: 1, range: 0...Int.max)
        let initSeed = Option.integer("--init-seed", help: "test only: a per-node initial adapter instead of the swarm's", range: 0...Int.max)
        let dataSeed = Option.integer("--data-seed", help: "the seed of this node's data order and dropout (default: from its node id)", range: 0...Int.max)
        let waitFor = Option.integer("--wait-for", "N", help: "members to see alive before the first round (waits up to 60 s)", default: 0, range: 0...100_000)
        let maxNormRatio = Option.number("--max-norm-ratio", help: "refuse factors whose norm exceeds this times the node's own, plus 1", default: 10, range: 1...1e9)
        let keep = Option.integer("--keep-checkpoints", help: "checkpoints kept in the store", default: 3, range: 1...1000)
        // Link emulation: on the payload frames this node sends (docs/NODE.md, "Link emulation").
        let linkLatency = Option.number("--link-latency-ms", "MS", help: "emulated one-way latency added to every frame this node sends",
                                        default: 0, range: 0...60_000)
        let linkJitter = Option.number("--link-jitter-ms", "MS", help: "emulated jitter: plus a delay drawn uniformly from 0...MS (frames to a peer stay in order)",
                                       default: 0, range: 0...60_000)
        let linkLoss = Option.number("--link-loss", "P", help: "emulated loss: the probability that a frame this node sends is dropped whole",
                                     default: 0, range: 0...1)
        let linkBandwidth = Option<Double>.custom("--link-bandwidth-mbit", "MBIT", help: "emulated bandwidth of each link: a frame occupies it for bytes x 8 / rate (default: unlimited)",
                                          allowed: "above 0, at most 1000000") { text in
            guard let v = Double(text), v.isFinite else { return .failure(ValueProblem("expects a number, got '\(text)'")) }
            do throws(LinkSpecError) { try LinkConditions.check("bandwidth-mbit", v) } catch { return .failure(ValueProblem(error.description)) }
            return .success(v)
        }
        let link = Option<LinkArgument>.custom("--link", "HOST:PORT=SPEC", help: "the link to the peer listening on HOST:PORT differs: SPEC is KEY:VALUE,... with keys latency-ms, jitter-ms, loss, bandwidth-mbit (fields not given: as for every link)",
                                 repeatable: true) { text in
            LinkArgument.parse(text).mapError { ValueProblem($0.description) }
        }
        let linkSeed = Option.integer("--link-seed", help: "the seed of the link emulator's loss and jitter draws", default: 1, range: 0...Int.max)
        let faultControl = Option.text("--fault-control", "FILE", help: "fault injection, read at start and again on SIGHUP: HOST:PORT=SPEC lines over the link options (loss:1 cuts a link), and 'hostile BEHAVIOUR [from-round N]' (nan, huge-norm, wrong-shape, forged-sender, replay): send crafted factors in place of this node's (from round N on)")
    }

    /// The training half of the options (present with --data).
    struct Training {
        let dataPath: String
        let rounds: Int
        let localSteps: Int
        let deadlineMilliseconds: Int
        /// The adaptive deadline's bounds in milliseconds, when --adaptive-deadline is given.
        let adaptiveDeadlineMilliseconds: ClosedRange<Int>?
        let mode: AveragingMode
        let wireDType: TensorDType
        let topology: Topology
        /// `--edges FILE`: the explicit graph that replaces `topology`.
        let edgesFile: String?
        let lora: LoRAConfig
        let learningRate: Double
        let batch: Int
        let seqLen: Int
        let precision: PrecisionChoice
        let threads: Int?
        let swarmSeed: Int
        let initSeed: Int?
        let dataSeed: Int?
        let waitFor: Int
        let maxNormRatio: Double
        let keepCheckpoints: Int
    }

    let certsDirectory: String
    let nodeName: String
    let listen: String
    let stateDirectory: String
    let peersFile: String?
    let joins: [String]
    let swarmID: String
    let coreHash: Digest32?
    let corePath: String?
    let schemaHash: Digest32
    let advertise: String?
    let probePeriodMilliseconds: Int
    let suspicionAlpha: Double
    let suspicionBeta: Double
    let training: Training?
    /// Emulated links (nil: none asked for).
    let linkEmulation: LinkEmulation?
    /// `--fault-control FILE`: per-peer link lines and a hostile behaviour, read at start and on SIGHUP.
    let faultControl: String?

    init(_ d: Options, _ p: inout ParsedArguments) throws(CLIError) {
        _ = try p.optional(d.config)  // expanded into options before parsing
        let dataPath = try p.optional(d.data)
        let rounds = try p.value(d.rounds), localSteps = try p.value(d.localSteps), deadline = try p.value(d.deadline)
        let adaptive = try Self.adaptiveBounds(on: p.flag(d.adaptiveDeadline), deadline: deadline,
                                               minimum: try p.optional(d.deadlineMin), maximum: try p.optional(d.deadlineMax))
        let mode = try p.value(d.mode), wireDType = try p.value(d.wireDType), topologyName = try p.value(d.topology)
        let edgesFile = try p.optional(d.edges)
        if edgesFile != nil && p.wasGiven(d.topology) {
            throw .usage(command: Self.name, message: "give either --topology or --edges FILE, not both")
        }
        if edgesFile != nil && !p.wasGiven(d.data) {
            throw .usage(command: Self.name, message: "--edges sets a training node's gossip neighbours: add --data FILE.jsonl")
        }
        let rank = try p.value(d.rank), alpha = try p.value(d.loraAlpha), targets = try p.value(d.targets)
        let lr = try p.value(d.lr), batch = try p.value(d.batch), seqLen = try p.value(d.seqLen)
        let precision = try p.value(d.precision), threads = try p.optional(d.threads)
        let swarmSeed = try p.value(d.swarmSeed), initSeed = try p.optional(d.initSeed), dataSeed = try p.optional(d.dataSeed)
        let waitFor = try p.value(d.waitFor), maxNormRatio = try p.value(d.maxNormRatio), keep = try p.value(d.keep)
        training = dataPath.map {
            Training(dataPath: $0, rounds: rounds, localSteps: localSteps, deadlineMilliseconds: deadline,
                     adaptiveDeadlineMilliseconds: adaptive, mode: mode,
                     wireDType: wireDType, topology: Topology(name: topologyName)!, edgesFile: edgesFile,
                     lora: LoRAConfig(rank: rank, alpha: Float(alpha), targets: targets),
                     learningRate: lr, batch: batch, seqLen: seqLen, precision: precision, threads: threads,
                     swarmSeed: swarmSeed, initSeed: initSeed, dataSeed: dataSeed, waitFor: waitFor, maxNormRatio: maxNormRatio,
                     keepCheckpoints: keep)
        }
        certsDirectory = try p.value(d.certs)
        nodeName = try p.value(d.name)
        listen = try p.value(d.listen)
        stateDirectory = try p.value(d.state)
        peersFile = try p.optional(d.peers)
        joins = try p.values(d.join)
        swarmID = try p.value(d.swarmID)
        coreHash = try p.optional(d.coreHash)
        corePath = try p.optional(d.core)
        schemaHash = try p.optional(d.schemaHash) ?? .zero
        advertise = try p.optional(d.advertise)
        probePeriodMilliseconds = try p.value(d.probePeriod)
        suspicionAlpha = try p.value(d.alpha)
        suspicionBeta = try p.value(d.beta)
        faultControl = try p.optional(d.faultControl)
        linkEmulation = try Self.linkEmulation(
            LinkConditions(latencyMilliseconds: try p.value(d.linkLatency), jitterMilliseconds: try p.value(d.linkJitter),
                           loss: try p.value(d.linkLoss), bandwidthMegabits: try p.optional(d.linkBandwidth)),
            links: try p.values(d.link), seed: try p.value(d.linkSeed), always: faultControl != nil)
    }

    /// The emulation the --link-* options ask for: nil when every link is ideal (and no control
    /// file may change that).
    static func linkEmulation(_ all: LinkConditions, links: [LinkArgument], seed: Int, always: Bool) throws(CLIError) -> LinkEmulation? {
        var byAddress: [String: LinkConditions] = [:]
        for link in links {
            guard byAddress[link.address] == nil else { throw .usage(command: name, message: "option --link: \(link.address) is given twice") }
            do { byAddress[link.address] = try LinkConditions(spec: link.spec, over: all) } catch {
                throw .usage(command: name, message: "option --link \(link.address)=\(link.spec): \(error)")
            }
        }
        guard always || all != .ideal || byAddress.values.contains(where: { $0 != .ideal }) else { return nil }
        return LinkEmulation(all: all, byAddress: byAddress, seed: UInt64(seed))
    }

    /// The adaptive deadline's bounds: given, or --deadline-ms / 10 ... --deadline-ms; nil without
    /// --adaptive-deadline (then giving a bound is a usage error: it would be ignored).
    static func adaptiveBounds(on: Bool, deadline: Int, minimum: Int?, maximum: Int?) throws(CLIError) -> ClosedRange<Int>? {
        guard on else {
            if minimum != nil || maximum != nil {
                throw .usage(command: name, message: "--deadline-min-ms and --deadline-max-ms bound the adaptive deadline: add --adaptive-deadline")
            }
            return nil
        }
        let low = minimum ?? max(1, min(deadline / 10, maximum ?? deadline)), high = maximum ?? max(deadline, low)
        guard low <= high else {
            throw .usage(command: name, message: "--deadline-min-ms \(low) is above --deadline-max-ms \(high)")
        }
        return low...high
    }

    func validate() throws(CLIError) {
        if peersFile != nil && !joins.isEmpty { throw .usage(command: Self.name, message: "give either --peers FILE or --join HOST:PORT, not both") }
        if coreHash == nil && corePath == nil { throw .usage(command: Self.name, message: "missing required option --core-hash (or --core PATH)") }
        if coreHash != nil && corePath != nil { throw .usage(command: Self.name, message: "give either --core-hash HEX or --core PATH, not both") }
        if training != nil && corePath == nil {
            throw .usage(command: Self.name, message: "a training node (--data) needs the core file itself: give --core PATH")
        }
        if training != nil && schemaHash != .zero {
            throw .usage(command: Self.name, message: "a training node computes its adapter schema hash from --rank, --targets and --mode; drop --schema-hash")
        }
    }

    /// The driver's configuration for these options.
    func configuration(coreHash: Digest32) -> MembershipDriverConfiguration {
        var configuration = MembershipDriverConfiguration(swarmID: swarmID, coreHash: coreHash, schemaHash: schemaHash)
        let period = Duration.milliseconds(probePeriodMilliseconds)
        configuration.swim = .scaled(probePeriod: period)
        configuration.swim.suspicionAlpha = suspicionAlpha
        configuration.swim.suspicionBeta = suspicionBeta
        configuration.transport.listenAddress = listen
        configuration.transport.advertisedAddress = advertise
        configuration.transport.linkEmulation = linkEmulation
        configuration.stateDirectory = stateDirectory
        configuration.leaveGrace = max(.milliseconds(500), period * 2)
        return configuration
    }

    func run() throws(CLIError) {
        // Before any thread exists, so that this thread alone receives the stop signals (and one
        // watcher SIGHUP, with --fault-control).
        let signals = StopSignals.block()
        let reload = faultControl.map { _ in StopSignals.block([SIGHUP]) }
        let faults = try faultControlNow()
        if let training {
            try runTraining(training, signals: signals, faults: faults, reload: reload)
            return
        }
        let links = faults.links
        do {
            var hash = coreHash ?? .zero
            if let corePath {
                let file: GGUFModelFile
                do { file = try GGUFModelFile(path: corePath) } catch { throw CLIError.failure(error.description) }
                hash = CoreHash.compute(file)
            }
            let identity: TLSIdentity
            do { identity = try TLSIdentity.load(certsDirectory: certsDirectory, node: nodeName) } catch {
                throw NodeError.transport(.certificate(error))
            }
            let seeds = try self.seeds()
            var configuration = configuration(coreHash: hash)
            configuration.transport.linkEmulation = links
            let driver = try MembershipDriver(identity: identity, configuration: configuration) { change in
                switch change {
                case let .changed(member, previous):
                    Self.log("member \(member.id.short) \(member.address) \(previous.map { "\($0) -> " } ?? "new: ")\(member.status) #\(member.incarnation)")
                case .forgotten(let id):
                    Self.log("member \(id.short) forgotten")
                }
            }
            let myself = try driver.start(seeds: seeds)
            if let reload { watchFaultControl(reload) { driver.setLinkEmulation($0.links) } }
            Self.log("node \(myself.id.short) listening on \(myself.address), incarnation \(myself.incarnation), period \(probePeriodMilliseconds) ms, seeds [\(seeds.map(\.description).joined(separator: ", "))]")
            let received = signals.wait()
            Self.log("signal \(received): leaving")
            driver.leave()
            Self.log("left (incarnation \(driver.myself?.incarnation ?? 0))")
        } catch let error as CLIError {
            throw error
        } catch {
            throw .failure("\(error)")
        }
    }

    /// What the --fault-control file says now.
    struct FaultControl: Sendable {
        /// The link emulation in force: the --link options, and over them the file's link lines.
        var links: LinkEmulation?
        /// The file's `hostile BEHAVIOUR [from-round N]` line (nil: honest).
        var hostile: HostileBehaviour?
        /// The first round whose frames the behaviour rewrites (0: every round).
        var hostileFromRound: UInt64 = 0
    }

    /// Reads the --fault-control file: `HOST:PORT=SPEC` lines over the --link options and at most
    /// one `hostile BEHAVIOUR [from-round N]` line; blank lines and `#` comments skipped; a missing file holds
    /// nothing. Errors name the file and line.
    func faultControlNow() throws(CLIError) -> FaultControl {
        guard let path = faultControl, let emulation = linkEmulation else { return FaultControl(links: linkEmulation) }
        guard FileIO.kind(of: path) != .missing else { return FaultControl(links: emulation) }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw .failure("--fault-control \(path): \(error.localizedDescription)")
        }
        return try Self.faultControl(text: text, path: path, over: emulation)
    }

    /// A --fault-control file's text read over `emulation` (the --link options' links): its link
    /// lines set over them and its `hostile` line. Errors name `path` and the line.
    static func faultControl(text: String, path: String, over emulation: LinkEmulation) throws(CLIError) -> FaultControl {
        var emulation = emulation
        var hostile: HostileBehaviour?
        var fromRound: UInt64 = 0
        // "\r\n" is one Character in Swift: split on it too, so a file with Windows line ends reads
        // like one with "\n" (found by fuzzing: such a file was one long refused line).
        for (n, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            if line.hasPrefix("hostile") {
                let words = line.split(separator: " ", omittingEmptySubsequences: true)
                let names = HostileBehaviour.allCases.map(\.rawValue).joined(separator: ", ")
                let from = words.count == 4 && words[2] == "from-round" ? UInt64(words[3]) : nil
                guard words.count == 2 || from != nil, words[0] == "hostile", let b = HostileBehaviour(rawValue: String(words[1])) else {
                    throw .failure("--fault-control \(path):\(n + 1): expected 'hostile BEHAVIOUR' or 'hostile BEHAVIOUR from-round N' with BEHAVIOUR one of \(names), found '\(line)'")
                }
                if hostile != nil { throw .failure("--fault-control \(path):\(n + 1): a second 'hostile' line (one behaviour at a time)") }
                hostile = b
                fromRound = from ?? 0
                continue
            }
            do throws(LinkSpecError) {
                let link = try LinkArgument.parse(line).get()
                emulation.byAddress[link.address] = try LinkConditions(spec: link.spec, over: emulation.all)
            } catch {
                throw .failure("--fault-control \(path):\(n + 1): \(error)")
            }
        }
        return FaultControl(links: emulation, hostile: hostile, hostileFromRound: fromRound)
    }

    /// On every SIGHUP, reads the --fault-control file again and hands the result to `apply`; a
    /// bad file is reported and everything stays as it was.
    func watchFaultControl(_ reload: StopSignals, apply: @escaping @Sendable (FaultControl) -> Void) {
        let command = self
        let thread = Thread {
            while true {
                _ = reload.wait()
                do {
                    let faults = try command.faultControlNow()
                    apply(faults)
                    Self.log("fault control: \(faults.links?.byAddress.count ?? 0) link(s) set, "
                             + (faults.hostile.map { "hostile: \($0.rawValue)" + (faults.hostileFromRound > 0 ? " from round \(faults.hostileFromRound)" : "") } ?? "honest")
                             + " (\(command.faultControl ?? ""))")
                } catch {
                    Self.log("warning: \(error); faults unchanged")
                }
            }
        }
        thread.start()
    }

    /// The seeds: the peers file's and every --join.
    func seeds() throws -> [PeerAddress] {
        var seeds: [PeerAddress] = []
        if let file = peersFile {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            seeds = try PeersFile.parse(text, file: file)
        }
        for join in joins { seeds.append(try PeerAddress(parsing: join)) }
        return seeds
    }

    /// One stamped line on stdout, in one write (lines from several threads never interleave).
    static func log(_ line: String) {
        Output.out(String(format: "[%.3f] ", Date().timeIntervalSince1970) + line)
    }
}

extension SwarmTuneCommand {
    /// Reads the text of a `node --fault-control` file over ideal links, as a node reads it at start
    /// and on SIGHUP, without applying it: the number of links it sets and its hostile behaviour
    /// (the `node` fuzz target's way in, Fuzz/). Errors name `file` and the line.
    public static func checkFaultControl(_ text: String, file: String) throws(CLIError) -> (links: Int, hostile: String?) {
        let faults = try NodeCommand.faultControl(text: text, path: file, over: LinkEmulation(all: .ideal, seed: 1))
        return (faults.links?.byAddress.count ?? 0, faults.hostile?.rawValue)
    }
}

extension Option where Value == String {
    /// A `HOST:PORT` address, checked when parsed and kept as written.
    static func address(_ name: String, help: String, required: Bool = false, repeatable: Bool = false) -> Option {
        .custom(name, "HOST:PORT", help: help, required: required, repeatable: repeatable) { text in
            do { _ = try PeerAddress(parsing: text); return .success(text) } catch {
                return .failure(ValueProblem("expects HOST:PORT: '\(text)': \(error)"))
            }
        }
    }
}

/// One `--link HOST:PORT=SPEC`: the peer's listen address and its link's spec (checked for
/// syntax here; read over the --link-* defaults once all options are in).
struct LinkArgument: Sendable, Equatable {
    let address: String
    let spec: String

    static func parse(_ text: String) -> Result<LinkArgument, LinkSpecError> {
        guard let eq = text.firstIndex(of: "=") else {
            return .failure(LinkSpecError("expects HOST:PORT=SPEC (e.g. 127.0.0.1:7001=latency-ms:80,loss:0.02), got '\(text)'"))
        }
        let address = String(text[..<eq]), spec = String(text[text.index(after: eq)...])
        do { _ = try PeerAddress(parsing: address) } catch { return .failure(LinkSpecError("'\(address)' is not HOST:PORT: \(error)")) }
        do throws(LinkSpecError) { _ = try LinkConditions(spec: spec, over: .ideal) } catch { return .failure(error) }
        return .success(LinkArgument(address: address, spec: spec))
    }
}

extension Option where Value == Digest32 {
    /// A SHA-256 digest as 64 hex digits.
    static func digest(_ name: String, help: String) -> Option {
        .custom(name, "HEX", help: help) { text in
            guard let digest = Digest32(hex: text) else { return .failure(ValueProblem("must be 64 hex digits (a SHA-256), got '\(text)'")) }
            return .success(digest)
        }
    }
}
