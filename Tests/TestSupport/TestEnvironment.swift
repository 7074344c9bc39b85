import Foundation

/// How this test run was built, for tests that start the real executable or wait on real sockets.
public enum TestEnvironment {
    /// The `swarmtune` executable of this build: the one beside the test runner (`.build/debug`,
    /// or the build path of an instrumented build such as `.build-asan/debug`), else the package's
    /// `.build/debug/swarmtune`. Tests that compare a process's results with this process's must
    /// run the same build.
    public static var swarmtune: URL {
        let runner = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let sibling = runner.deletingLastPathComponent().appendingPathComponent("swarmtune")
        if FileManager.default.isExecutableFile(atPath: sibling.path) { return sibling }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/swarmtune")
    }

    /// How much slower than a plain debug build this build runs: `SWARMTUNE_TEST_SLOWDOWN` (1 when
    /// unset; the AddressSanitizer run in docs/FUZZING.md sets 3). It stretches only the upper
    /// bounds of waits for real sockets and processes, never a figure a test measures or asserts.
    public static var slowdown: Double {
        guard let text = ProcessInfo.processInfo.environment["SWARMTUNE_TEST_SLOWDOWN"], let factor = Double(text),
              factor.isFinite, factor >= 1 else { return 1 }
        return factor
    }
}
