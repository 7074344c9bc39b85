import Glibc

/// SIGTERM and SIGINT taken by one waiting thread instead of ending the process, so a node can
/// leave the swarm gracefully. `block()` must run before any other thread starts: every thread
/// inherits the mask, and the thread that calls `wait()` alone receives the signals.
public struct StopSignals: Sendable {
    private let set: sigset_t

    /// Blocks SIGTERM and SIGINT in the calling thread (and in every thread it starts later).
    public static func block() -> StopSignals { block([SIGTERM, SIGINT]) }

    /// Blocks `numbers` the same way, for one thread to wait for them (the node's SIGHUP, which
    /// re-reads its fault control file, is taken so).
    public static func block(_ numbers: [Int32]) -> StopSignals {
        var signals = sigset_t()
        sigemptyset(&signals)
        for n in numbers { sigaddset(&signals, n) }
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        return StopSignals(set: signals)
    }

    /// Waits until one of the signals arrives; returns its number.
    public func wait() -> Int32 {
        var signals = set
        var received: Int32 = 0
        sigwait(&signals, &received)
        return received
    }
}
