/// How the process backend runs a scenario: what a scenario file does not fix (docs/SCENARIOS.md,
/// "The process backend").
public struct ProcessOptions: Sendable {
    /// The `swarmtune` executable every node runs.
    public var executable: String
    /// The host every node listens on and advertises (loopback), unless `namespaces`.
    public var host = "127.0.0.1"
    /// The netns backend: every node in its own network namespace with its own address
    /// (`NetnsNetwork`); needs root. Then every node listens on `basePort` (default 7000).
    public var namespaces = false
    /// The first node's port; node i listens on `basePort + i`. nil: free ports chosen at start.
    /// With `namespaces`, every node's port (default 7000).
    public var basePort: Int?
    /// Compute threads per node when the scenario gives none (1 reproduces the inproc backend).
    public var threadsPerNode = 1
    /// Threads of evaluation and the baselines, run in this process; nil: one per CPU.
    public var threads: Int?
    /// SWIM's probe period of every node, in milliseconds.
    public var probePeriodMilliseconds = 500
    /// How long the run may go without any node completing a round before it is abandoned.
    public var stallSeconds: Double = 900

    public init(executable: String) {
        self.executable = executable
    }
}
