import Foundation

/// Where the second test tier finds the real core (SmolLM2-135M-Instruct Q4_1).
///
/// `SWARMTUNE_MODEL` overrides the default `models/SmolLM2-135M-Instruct.Q4_1.gguf` under the
/// repository root. Tests that need it are skipped (not passed) when the default file is absent.
/// A `SWARMTUNE_MODEL` that names nothing is not a reason to skip: the tier-2 tests then run and
/// fail loudly on the missing file, since the user asked for them.
public enum RealCore {
    public static let fileName = "SmolLM2-135M-Instruct.Q4_1.gguf"

    public static var repositoryRoot: URL {
        // Tests/TestSupport/RealCore.swift -> repository root
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    public static var path: String? {
        if let env = ProcessInfo.processInfo.environment["SWARMTUNE_MODEL"], !env.isEmpty {
            return env
        }
        let p = repositoryRoot.appendingPathComponent("models").appendingPathComponent(fileName).path
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }

    public static var isAvailable: Bool { path != nil }
}

/// A directory under the system temporary directory, removed when the value goes away.
public final class TemporaryDirectory {
    public let url: URL
    public var path: String { url.path }

    public init(_ prefix: String = "swarmtune-test") {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Removed at the end, unless SWARMTUNE_KEEP_TEST_DIRS is set (to read a failed run's files).
    deinit {
        if ProcessInfo.processInfo.environment["SWARMTUNE_KEEP_TEST_DIRS"] != nil {
            print("kept \(url.path)")
            return
        }
        try? FileManager.default.removeItem(at: url)
    }
}
