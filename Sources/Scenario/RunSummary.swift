/// What a scenario run found: `runs/NAME/summary.json`, written by every backend (inproc, process,
/// netns) in this one schema, read by `swarmtune inspect runs/NAME` and rendered into report.html.
///
/// Deterministic by design: the inproc backend must write byte-identical files for the same scenario
/// and seed, so nothing here depends on wall-clock time or thread scheduling (wall time and the
/// machine go in `RunTiming`, a separate file, `runs/NAME/timing.json`). Figures are stored as
/// computed; rounding is the report's job.
public struct RunSummary: Codable, Sendable, Equatable {
    /// Bumped when a field changes meaning; readers refuse a newer version.
    public static let currentVersion = 1

    public var version = RunSummary.currentVersion
    public var scenario: String
    public var comment: String
    /// `inproc`, `process` or `netns`.
    public var backend: String
    public var seed: UInt64
    /// The core's path as the scenario names it, and its content hash (hex).
    public var core: String
    public var coreHash: String
    public var nodes: Int
    /// The topology rule or `explicit`, and the averaging mode (`factors`, `frozen-a`, `product`).
    public var topology: String
    public var mode: String
    public var localSteps: Int
    /// The synthetic domains (or the JSONL domain values) in report order.
    public var domains: [String]
    /// Each node's training examples per domain, by node index.
    public var nodeData: [NodeData]
    /// The global test set's size per domain (it shares no instruction with any node's data).
    public var testSet: [String: Int]
    public var rounds: [Round]
    /// Membership changes and the scenario's events, in the order they happened.
    public var timeline: [TimelineEntry]
    public var final: Final
    /// Each node's neighbours by node index (joined nodes included), as the run's topology gave
    /// them; what report.html draws. Optional (absent from summaries written before it was
    /// recorded, when the report rebuilds ring, full and regular-K from `topology`).
    public var edges: [[Int]]?

    public init(scenario: String, comment: String, backend: String, seed: UInt64, core: String, coreHash: String,
                nodes: Int, topology: String, mode: String, localSteps: Int, domains: [String], nodeData: [NodeData],
                testSet: [String: Int], rounds: [Round] = [], timeline: [TimelineEntry] = [], final: Final = Final()) {
        self.scenario = scenario
        self.comment = comment
        self.backend = backend
        self.seed = seed
        self.core = core
        self.coreHash = coreHash
        self.nodes = nodes
        self.topology = topology
        self.mode = mode
        self.localSteps = localSteps
        self.domains = domains
        self.nodeData = nodeData
        self.testSet = testSet
        self.rounds = rounds
        self.timeline = timeline
        self.final = final
    }

    public struct NodeData: Codable, Sendable, Equatable {
        public var node: Int
        public var examples: Int
        public var domains: [String: Int]

        public init(node: Int, examples: Int, domains: [String: Int]) {
            self.node = node
            self.examples = examples
            self.domains = domains
        }
    }

    /// One gossip round across the swarm (a node that did not complete round r is absent from its
    /// `nodes`).
    public struct Round: Codable, Sendable, Equatable {
        public var round: Int
        /// (1/n) Σ‖θ_i − θ̄‖² over the exchanged vectors of the live nodes after the round's mix.
        public var consensusDistance: Double?
        /// The same distance over the vectors the nodes sent in the round (after their local steps,
        /// before the mix): with `consensusDistance`, how much the round's mix contracted the swarm.
        public var consensusDistanceBeforeMix: Double?
        /// ‖mean(B_iA_i) − B̄Ā‖ over the live nodes after the mix (0 in frozen-a mode).
        public var productGap: Double?
        /// Factor bytes sent by all nodes in the round.
        public var bytes: Int
        public var nodes: [NodeRound]
        /// Exact match on the global test set when the eval schedule asked for it this round.
        public var eval: Eval?

        public init(round: Int, consensusDistance: Double? = nil, productGap: Double? = nil, bytes: Int = 0,
                    nodes: [NodeRound] = [], eval: Eval? = nil) {
            self.round = round
            self.consensusDistance = consensusDistance
            self.productGap = productGap
            self.bytes = bytes
            self.nodes = nodes
            self.eval = eval
        }
    }

    public struct NodeRound: Codable, Sendable, Equatable {
        public var node: Int
        /// Mean training loss over the round's local steps (nil when it ran none).
        public var loss: Double?
        public var mixed: Int
        public var neighbours: Int
        /// Neighbours that missed the deadline or whose frame came late.
        public var late: Int
        /// Frames refused by the acceptance checks (hostile or corrupt).
        public var refused: Int
        public var bytesSent: Int
        public var bytesReceived: Int

        public init(node: Int, loss: Double?, mixed: Int, neighbours: Int, late: Int, refused: Int, bytesSent: Int,
                    bytesReceived: Int) {
            self.node = node
            self.loss = loss
            self.mixed = mixed
            self.neighbours = neighbours
            self.late = late
            self.refused = refused
            self.bytesSent = bytesSent
            self.bytesReceived = bytesReceived
        }
    }

    /// Exact match (0...1) of one adapter or set of adapters on the global test set.
    public struct Eval: Codable, Sendable, Equatable {
        /// The consensus adapter (the mean of the live nodes' exchanged factors).
        public var consensus: Double
        public var consensusByDomain: [String: Double]
        /// Each live node's own adapter, by node index (when measured).
        public var byNode: [Int: Double]?

        public init(consensus: Double, consensusByDomain: [String: Double], byNode: [Int: Double]? = nil) {
            self.consensus = consensus
            self.consensusByDomain = consensusByDomain
            self.byNode = byNode
        }
    }

    public struct TimelineEntry: Codable, Sendable, Equatable {
        /// The round the entry happened in (the lowest round any live node was running).
        public var round: Int
        /// Virtual seconds since the start (inproc), or seconds since the start (process, netns).
        public var seconds: Double
        /// `kill`, `restart`, `pause`, `resume`, `partition`, `heal`, `join`, `hostile` (scenario
        /// events) or `alive`, `suspect`, `dead`, `left` (membership as a node saw it).
        public var kind: String
        /// The node concerned (nil for swarm-wide events such as partition and heal).
        public var node: Int?
        /// Who saw it, for membership entries.
        public var seenBy: Int?
        /// What happened, for a person reading the report.
        public var detail: String

        public init(round: Int, seconds: Double, kind: String, node: Int? = nil, seenBy: Int? = nil, detail: String) {
            self.round = round
            self.seconds = seconds
            self.kind = kind
            self.node = node
            self.seenBy = seenBy
            self.detail = detail
        }
    }

    /// Held-out exact match (0...1) at the end against the baselines, at the same token budget.
    public struct Final: Codable, Sendable, Equatable {
        public var core: Double?
        public var consensus: Double?
        public var consensusByDomain: [String: Double]?
        /// Each node trained alone on its own data for the same steps, by node index, and their mean.
        public var localOnly: [Int: Double]?
        public var localOnlyMean: Double?
        public var localOnlyByDomain: [String: Double]?
        /// One adapter trained on every node's data pooled, for the same total steps.
        public var centralized: Double?
        public var centralizedByDomain: [String: Double]?
        /// The consensus distance after the last round.
        public var consensusDistance: Double?

        public init() {}
    }
}

/// Wall-clock facts of a run (`runs/NAME/timing.json`): kept out of `RunSummary` so that summary
/// stays byte-identical across runs of the same scenario and seed.
public struct RunTiming: Codable, Sendable, Equatable {
    public var seconds: Double
    public var secondsPerRound: [Double]
    public var peakRSSBytes: Int?
    public var cpu: String?
    public var threads: Int

    public init(seconds: Double, secondsPerRound: [Double], peakRSSBytes: Int?, cpu: String?, threads: Int) {
        self.seconds = seconds
        self.secondsPerRound = secondsPerRound
        self.peakRSSBytes = peakRSSBytes
        self.cpu = cpu
        self.threads = threads
    }
}
