/// How the process backend runs a scenario: what a scenario file does not fix (docs/SCENARIOS.md,
/// "The process backend").
public struct ProcessOptions: Sendable {
    /// The `swarmtune` executable every node runs.
    public var executable: String
    /// The host every node listens on and advertises (loopback).
    public var host = "127.0.0.1"
    /// The first node's port; node i listens on `basePort + i`. nil: free ports chosen at start.
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
