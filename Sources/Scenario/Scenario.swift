import Consensus
import Gossip
import SwarmBase

/// One scenario file (docs/SCENARIOS.md): a swarm to simulate, its data, its training and gossip
/// settings, its network and the events that happen to it. A parsed `Scenario` has passed every
/// check of `Scenario.parse`, so a backend can run it without re-validating.
public struct Scenario: Sendable, Equatable {
    /// A short name: the run directory (runs/NAME) and the report's title.
    public var name: String
    /// What the scenario shows (and, once run, what it found).
    public var comment: String
    /// Every random choice of the run (data, partition, adapter initialisation) derives from it.
    public var seed: UInt64
    /// The core (a GGUF file), relative to the working directory unless absolute.
    public var core: String
    /// Nodes at the start (joins add more, numbered from `nodes` up).
    public var nodes: Int
    public var topology: TopologySpec
    public var data: DataSpec
    public var lora: LoRASpec
    public var training: TrainingSpec
    public var gossip: GossipSpec
    public var network: NetworkSpec
    /// In the order the file lists them (which is the order they happen: see `ScenarioEvent`).
    public var events: [ScenarioEvent]
    public var baselines: Baselines
    public var eval: EvalSchedule

    /// The core a scenario uses when it names none: the real SmolLM2 core of the repository.
    public static let defaultCore = "models/SmolLM2-135M-Instruct.Q4_1.gguf"

    /// Nodes at the start plus every node a join event adds: the number of distinct node indices.
    public var totalNodes: Int { nodes + events.filter(\.kind.isJoin).count }

    public init(name: String, comment: String, seed: UInt64, core: String, nodes: Int, topology: TopologySpec, data: DataSpec,
                lora: LoRASpec, training: TrainingSpec, gossip: GossipSpec, network: NetworkSpec, events: [ScenarioEvent],
                baselines: Baselines, eval: EvalSchedule) {
        self.name = name
        self.comment = comment
        self.seed = seed
        self.core = core
        self.nodes = nodes
        self.topology = topology
        self.data = data
        self.lora = lora
        self.training = training
        self.gossip = gossip
        self.network = network
        self.events = events
        self.baselines = baselines
        self.eval = eval
    }
}

/// Who exchanges factors with whom.
public enum TopologySpec: Sendable, Equatable {
    /// A rule over the live nodes (ring, full, regular-K).
    case rule(Topology)
    /// An explicit undirected edge list over node indices (the initial nodes and joined ones).
    case edges([Edge])

    /// One undirected link of an explicit topology, `a < b`.
    public struct Edge: Sendable, Hashable {
        public var a: Int
        public var b: Int
        public init(_ a: Int, _ b: Int) { (self.a, self.b) = (min(a, b), max(a, b)) }
    }
}

/// Where each node's private examples come from, how they are split, and the global test set.
public struct DataSpec: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// The synthetic multi-domain generator (`SyntheticTasks`), restricted to these domains.
        case synthetic(domains: [String])
        /// The user's JSONL files: one per node (already a partition), or one split by `partition`.
        /// `domainField` names the field of each line that holds its domain (needed by every
        /// partition but IID); `testFile` holds the global test set (required with one file per node).
        case jsonl(files: [String], domainField: String?, testFile: String?)
    }

    public enum Partition: Sendable, Equatable {
        /// Every example equally likely to land on any node.
        case iid
        /// Each node draws its domain proportions from Dirichlet(alpha, ..., alpha): small alpha
        /// concentrates a node on few domains, large alpha approaches IID.
        case dirichlet(alpha: Double)
        /// Node i holds only domain i mod (number of domains).
        case oneDomainPerNode
        /// One JSONL file per node: the files are the partition.
        case filePerNode
    }

    public var source: Source
    public var partition: Partition
    /// Training examples of each node (synthetic data; a split file gives each node an equal share).
    public var examplesPerNode: Int
    /// Size of the global test set, round robin over the domains; never shares an instruction
    /// with any node's training data.
    public var testExamples: Int

    public init(source: Source, partition: Partition, examplesPerNode: Int, testExamples: Int) {
        self.source = source
        self.partition = partition
        self.examplesPerNode = examplesPerNode
        self.testExamples = testExamples
    }
}

/// The adapter every node trains.
public struct LoRASpec: Sendable, Equatable {
    public var rank: Int
    public var alpha: Double
    /// Projection names (q, k, v, o, gate, up, down), sorted, without repeats.
    public var targets: [String]

    /// The projections LoRA can adapt (LM's `LoRATarget`, spelt as in the file).
    public static let knownTargets = ["q", "k", "v", "o", "gate", "up", "down"]

    public init(rank: Int, alpha: Double, targets: [String]) {
        self.rank = rank
        self.alpha = alpha
        self.targets = targets
    }
}

/// Local training of each node.
public struct TrainingSpec: Sendable, Equatable {
    /// Gossip rounds (each: `gossip.localSteps` optimizer steps, then one exchange).
    public var rounds: Int
    public var learningRate: Double
    public var batch: Int
    public var seqLen: Int
    /// Compute threads per node; nil: the backend decides.
    public var threads: Int?

    public init(rounds: Int, learningRate: Double, batch: Int, seqLen: Int, threads: Int?) {
        self.rounds = rounds
        self.learningRate = learningRate
        self.batch = batch
        self.seqLen = seqLen
        self.threads = threads
    }
}

/// The gossip round protocol's settings.
public struct GossipSpec: Sendable, Equatable {
    public var mode: AveragingMode
    /// Optimizer steps between exchanges (K).
    public var localSteps: Int
    /// How long a node waits for its neighbours' factors, in milliseconds.
    public var deadlineMilliseconds: Int
    /// Element type of factors on the wire: f32 or bf16.
    public var wireDType: TensorDType

    public init(mode: AveragingMode, localSteps: Int, deadlineMilliseconds: Int, wireDType: TensorDType) {
        self.mode = mode
        self.localSteps = localSteps
        self.deadlineMilliseconds = deadlineMilliseconds
        self.wireDType = wireDType
    }
}

// `LinkConditions` (one link's latency, jitter, loss, bandwidth) is SwarmBase's: the node's link
// emulator takes the same numbers.

/// The virtual (or emulated) network.
public struct NetworkSpec: Sendable, Equatable {
    /// Every link's conditions, unless a link override says otherwise.
    public var all: LinkConditions
    /// Per directed link (from → to): the fields a link names replace those of `all`.
    public var links: [LinkOverride]

    public struct LinkOverride: Sendable, Equatable {
        public var from: Int
        public var to: Int
        public var conditions: LinkConditions
    
        public init(from: Int, to: Int, conditions: LinkConditions) {
            self.from = from
            self.to = to
            self.conditions = conditions
        }
    }

    /// The conditions of the link from → to.
    public func conditions(from: Int, to: Int) -> LinkConditions {
        links.first { $0.from == from && $0.to == to }?.conditions ?? all
    }

    public init(all: LinkConditions, links: [LinkOverride]) {
        self.all = all
        self.links = links
    }
}

/// Something that happens to the swarm at a round or a time.
///
/// Events happen in the order the file lists them; the validation (a restart needs an earlier
/// kill, a heal an earlier partition) follows that order, and round-timed events must not go back
/// in time (nor must seconds-timed ones).
public struct ScenarioEvent: Sendable, Equatable {
    public enum When: Sendable, Equatable {
        /// At the start of this round (1-based).
        case round(Int)
        /// This many seconds after the run starts (on the backend's clock: virtual or real).
        case seconds(Double)
    }

    /// How long a paused node (a straggler) stays silent.
    public enum PauseLength: Sendable, Equatable {
        case rounds(Int)
        case seconds(Double)
    }

    /// What a hostile node sends in place of honest factors (one definition, shared with the
    /// node's fault injection).
    public typealias HostileBehaviour = Gossip.HostileBehaviour

    public enum Kind: Sendable, Equatable {
        /// The node stops (its process dies; its state database survives).
        case kill(node: Int)
        /// A killed node comes back from its state database.
        case restart(node: Int)
        /// The node stops answering for a while, then resumes: a straggler.
        case pause(node: Int, length: PauseLength)
        /// The network splits into these groups (every node in exactly one); no traffic between groups.
        case partition(groups: [[Int]])
        /// The partition ends.
        case heal
        /// A new node joins; it gets the next free index (`nodes`, `nodes + 1`, ... in event order).
        case join
        /// The node turns hostile from now on.
        case hostile(node: Int, behaviour: HostileBehaviour)
    }

    public var when: When
    public var kind: Kind

    public init(when: When, kind: Kind) {
        self.when = when
        self.kind = kind
    }
}

extension ScenarioEvent.Kind {
    /// The spelling of `kind` in a file.
    public var name: String {
        switch self {
        case .kill: "kill"
        case .restart: "restart"
        case .pause: "pause"
        case .partition: "partition"
        case .heal: "heal"
        case .join: "join"
        case .hostile: "hostile"
        }
    }

    /// Every kind's spelling, for error messages.
    public static let names = ["kill", "restart", "pause", "partition", "heal", "join", "hostile"]

    /// Whether this event adds a node.
    public var isJoin: Bool { if case .join = self { true } else { false } }

    /// Whether a real node carries this event out through its fault control file (a partition's
    /// cut links, a hostile turn), so its process needs one.
    public var needsFaultControl: Bool {
        switch self {
        case .partition, .heal, .hostile: true
        default: false
        }
    }
}

/// What the swarm is compared against, at the same token budget.
public struct Baselines: Sendable, Equatable {
    /// Each node trained alone on its own data.
    public var localOnly: Bool
    /// One adapter trained on all nodes' data together.
    public var centralized: Bool

    public init(localOnly: Bool, centralized: Bool) {
        self.localOnly = localOnly
        self.centralized = centralized
    }
}

/// When the global test set is evaluated.
public struct EvalSchedule: Sendable, Equatable {
    /// Every this many rounds; nil: only after the last round. The last round is always evaluated.
    public var every: Int?
    /// Also measure each live node's own adapter at every eval (`RunSummary.Eval.byNode`): one
    /// more evaluation per node, so off by default.
    public var nodes: Bool

    public init(every: Int?, nodes: Bool = false) {
        self.every = every
        self.nodes = nodes
    }

    /// Whether the test set is evaluated after `round` of a run of `lastRound` rounds.
    public func evaluates(round: Int, lastRound: Int) -> Bool {
        round == lastRound || every.map { round % $0 == 0 } == true
    }
}
