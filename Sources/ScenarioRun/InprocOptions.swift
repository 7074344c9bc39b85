/// How the inproc backend runs a scenario: the parts of the virtual world a scenario file does not
/// fix (docs/SCENARIOS.md, "The inproc backend").
public struct InprocOptions: Sendable {
    /// Virtual time one optimizer step of one node takes, in milliseconds. A fixed cost (not a
    /// measurement) so a run is the same for a seed on any machine; every node gets the same.
    public var stepMilliseconds: Double = 1000
    /// How long after a node dies, restarts, joins, or a partition starts or heals, the other nodes'
    /// membership views show it (SWIM's detection time), in milliseconds.
    public var detectionMilliseconds: Double = 2000
    /// Local steps of nodes due at the same virtual instant run on this many threads at once (each
    /// trainer on one thread); nil: one per CPU. Also the threads of evaluation and of the
    /// centralized baseline. The outcome does not depend on it.
    public var threads: Int?
    /// Keeps every node's exchanged vector after each completed round (`InprocResult.trace`): for
    /// tests and small models only.
    public var keepTrace = false
    /// A stop after this many virtual seconds, in case a scenario never completes its rounds.
    public var virtualSecondsLimit: Double = 30 * 24 * 3600

    public init() {}
}

/// One line of progress, as the run goes (the CLI draws it).
public struct InprocProgress: Sendable {
    /// What is being done: `swarm`, `local-only`, `centralized` or `eval`.
    public var phase: String
    /// The lowest round a live node is in (swarm), or steps done (baselines).
    public var done: Int
    public var total: Int
    /// Virtual seconds of the swarm so far.
    public var virtualSeconds: Double
    public var detail: String

    public init(phase: String, done: Int, total: Int, virtualSeconds: Double, detail: String) {
        self.phase = phase
        self.done = done
        self.total = total
        self.virtualSeconds = virtualSeconds
        self.detail = detail
    }
}
