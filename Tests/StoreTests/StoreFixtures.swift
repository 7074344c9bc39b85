#if canImport(Glibc)
import Glibc
#endif
import Store
import SwarmBase

/// Scratch directories, identities and records shared by the store tests.
enum StoreFixtures {
    /// Where scratch directories go: /dev/shm when there is one. The store fsyncs every commit;
    /// on tmpfs that costs nothing, so these tests do not load the disk under the rest of the
    /// suite, and nothing they check (file contents after commits, refusals) depends on the medium.
    static let scratchRoot = FileIO.kind(of: "/dev/shm") == .directory ? "/dev/shm" : "/tmp"

    /// A fresh empty directory under `scratchRoot`.
    static func scratchDirectory(_ name: String) -> String {
        var template = Array("\(scratchRoot)/swarmtune-store-\(name)-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            preconditionFailure("mkdtemp failed: \(Errno.current)")
        }
        return String(cString: made)
    }

    /// Removes a scratch directory and everything in it.
    static func removeDirectory(_ path: String) {
        for name in (try? FileIO.entries(of: path)) ?? [] {
            let child = FileIO.join(path, name)
            if FileIO.kind(of: child) == .directory { removeDirectory(child) } else { try? FileIO.remove(child) }
        }
        rmdir(path)
    }

    static func digest(_ seed: UInt8) -> Digest32 {
        Digest32(unchecked: (0..<32).map { UInt8(truncatingIfNeeded: Int($0) &* 31 &+ Int(seed)) })
    }

    static let identity = StoreIdentity(nodeID: NodeID(digest: digest(1)), swarmID: "swarm-alpha",
                                        coreHash: digest(2), schemaHash: digest(3))

    static let config: JSONValue = .object(["lr": .number(0.0002), "rank": .integer(8), "peers": .array([.string("a:1")])])

    static func round(_ n: Int64) -> RoundRecord {
        RoundRecord(round: n, loss: 2.5 / Double(n + 1), consensusEstimate: n == 0 ? nil : 0.1 * Double(n),
                    neighbours: [NodeID(digest: digest(10)), NodeID(digest: digest(UInt8(20 + n % 5)))],
                    bytesSent: 1000 * n, bytesReceived: 2000 * n + 1, seconds: 1.25 + Double(n))
    }

    static func adapter(round: Int64, count: Int) -> [Float] {
        (0..<count).map { Float(round) + Float($0) * 0.001 - 0.5 }
    }

    static func optimizer(round: Int64, count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(round)) }
    }

    /// The bytes of a file, nil when it does not exist.
    static func bytes(_ path: String) -> [UInt8]? {
        try? FileIO.readIfPresent(path, limit: 1 << 30)
    }

    /// The size of a file, 0 when it does not exist.
    static func size(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }
}

extension StoreFixtures {
    /// float32 little-endian bytes, written independently of the store's own encoder.
    static func littleEndian(_ values: [Float]) -> [UInt8] {
        var writer = ByteWriter(capacity: values.count * 4)
        for value in values { writer.float32(value) }
        return writer.finish()
    }
}
