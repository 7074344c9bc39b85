#if canImport(Glibc)
import Glibc
#endif
import Testing
import Store
import SwarmBase

@Suite("Node store: foreign and damaged databases are refused, never modified")
struct NodeStoreRefusalTests {
    /// A directory holding a closed store with two checkpoints of a few pages each.
    private static func populated(_ name: String) throws -> String {
        let dir = StoreFixtures.scratchDirectory(name)
        let store = try NodeStore.open(directory: dir, identity: StoreFixtures.identity, config: StoreFixtures.config)
        for n in Int64(0)..<2 {
            try store.saveCheckpoint(round: StoreFixtures.round(n), adapter: StoreFixtures.adapter(round: n, count: 20_000),
                                     optimizer: StoreFixtures.optimizer(round: n, count: 5000), keepLast: 3)
        }
        return dir
    }

    /// Opens with `identity` (and read-only), expecting `expected` both times and the file unchanged.
    private static func expectRefused(_ dir: String, identity: StoreIdentity = StoreFixtures.identity,
                                      readOnlyToo: Bool = true, _ expected: (StoreError) -> Bool) {
        let path = NodeStore.databasePath(in: dir)
        let before = StoreFixtures.bytes(path)
        #expect(before != nil)
        do {
            // The fixture's lock is released when its store is freed, but a process another test
            // spawns at that moment holds a copy of the descriptor (and so the flock) until its
            // exec closes it: wait that out rather than read it as another node's lock.
            for attempt in 0..<40 {
                do {
                    _ = try NodeStore.open(directory: dir, identity: identity, config: .null)
                    break
                } catch StoreError.locked(_) where attempt < 39 {
                    usleep(50_000)
                }
            }
            Issue.record("opened a database that should be refused")
        } catch {
            #expect(expected(error), "unexpected error: \(error)")
            #expect(error.description.contains(path), "the message names the file: \(error)")
        }
        if readOnlyToo {
            do {
                _ = try NodeStore.openReadOnly(directory: dir)
                Issue.record("opened read-only a database that should be refused")
            } catch {
                #expect(expected(error), "unexpected error: \(error)")
            }
        }
        #expect(StoreFixtures.bytes(path) == before, "the refused file was modified")
    }

    @Test("another node, swarm, core or schema: the field and both values are named, the file unchanged",
          arguments: ["node id", "swarm id", "core hash", "schema hash"])
    func identityMismatch(field: String) throws {
        let dir = try Self.populated("identity")
        defer { StoreFixtures.removeDirectory(dir) }
        let id = StoreFixtures.identity
        let other: StoreIdentity
        let stored: String, current: String
        switch field {
        case "node id":
            other = StoreIdentity(nodeID: NodeID(digest: StoreFixtures.digest(99)), swarmID: id.swarmID, coreHash: id.coreHash, schemaHash: id.schemaHash)
            (stored, current) = (id.nodeID.hex, other.nodeID.hex)
        case "swarm id":
            other = StoreIdentity(nodeID: id.nodeID, swarmID: "swarm-beta", coreHash: id.coreHash, schemaHash: id.schemaHash)
            (stored, current) = (id.swarmID, "swarm-beta")
        case "core hash":
            other = StoreIdentity(nodeID: id.nodeID, swarmID: id.swarmID, coreHash: StoreFixtures.digest(98), schemaHash: id.schemaHash)
            (stored, current) = (id.coreHash.hex, other.coreHash.hex)
        default:
            other = StoreIdentity(nodeID: id.nodeID, swarmID: id.swarmID, coreHash: id.coreHash, schemaHash: StoreFixtures.digest(97))
            (stored, current) = (id.schemaHash.hex, other.schemaHash.hex)
        }
        let path = NodeStore.databasePath(in: dir)
        Self.expectRefused(dir, identity: other, readOnlyToo: false) {
            $0 == .identityMismatch(path: path, field: field, stored: stored, current: current)
        }
        let error = StoreError.identityMismatch(path: path, field: field, stored: stored, current: current)
        #expect(error.description.contains("another \(field)") && error.description.contains(stored) && error.description.contains(current))
        // The right identity still opens it, with its checkpoints.
        let store = try NodeStore.open(directory: dir, identity: id, config: .null)
        #expect(try store.latestCheckpoint()?.round == 1)
    }

    @Test("random bytes are not a state database; the file is unchanged")
    func randomBytes() throws {
        let dir = StoreFixtures.scratchDirectory("random")
        defer { StoreFixtures.removeDirectory(dir) }
        var random = SeededRandom(seed: 7)
        let noise = (0..<10_000).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        try FileIO.writeAtomically(noise, to: NodeStore.databasePath(in: dir))
        Self.expectRefused(dir) { if case .notAStateDatabase = $0 { return true }; return false }
    }

    @Test("an empty file is not a state database; it is not filled in")
    func emptyFile() throws {
        let dir = StoreFixtures.scratchDirectory("emptyfile")
        defer { StoreFixtures.removeDirectory(dir) }
        try FileIO.writeAtomically([], to: NodeStore.databasePath(in: dir))
        Self.expectRefused(dir) { $0 == .notAStateDatabase(path: NodeStore.databasePath(in: dir), detail: "the file is empty") }
    }

    @Test("random bytes after a valid SQLite header are refused as corrupt")
    func garbageAfterHeader() throws {
        let dir = try Self.populated("garbage")
        defer { StoreFixtures.removeDirectory(dir) }
        let path = NodeStore.databasePath(in: dir)
        var bytes = try #require(StoreFixtures.bytes(path))
        var random = SeededRandom(seed: 11)
        for i in 4096..<bytes.count { bytes[i] = UInt8(truncatingIfNeeded: random.next()) }
        try FileIO.writeAtomically(bytes, to: path)
        Self.expectRefused(dir) {
            if case .corrupt(_, let detail) = $0 { return !detail.isEmpty && !detail.contains("***") }
            return false
        }
    }

    @Test("a truncated database is refused as corrupt; the file is unchanged", arguments: [0.5, 0.9])
    func truncated(fraction: Double) throws {
        let dir = try Self.populated("truncated")
        defer { StoreFixtures.removeDirectory(dir) }
        let path = NodeStore.databasePath(in: dir)
        let bytes = try #require(StoreFixtures.bytes(path))
        try FileIO.writeAtomically(Array(bytes.prefix(Int(Double(bytes.count) * fraction))), to: path)
        Self.expectRefused(dir) { if case .corrupt = $0 { return true }; return false }
    }

    @Test("a file cut inside its header is refused")
    func truncatedHeader() throws {
        let dir = try Self.populated("header")
        defer { StoreFixtures.removeDirectory(dir) }
        let path = NodeStore.databasePath(in: dir)
        let bytes = try #require(StoreFixtures.bytes(path))
        try FileIO.writeAtomically(Array(bytes.prefix(60)), to: path)
        Self.expectRefused(dir) { if case .notAStateDatabase = $0 { return true }; return false }
    }

    @Test("another program's SQLite database is refused by its application id")
    func foreignSQLite() throws {
        let dir = StoreFixtures.scratchDirectory("foreign")
        defer { StoreFixtures.removeDirectory(dir) }
        let path = NodeStore.databasePath(in: dir)
        do {
            let db = try Database(path: path, mode: .create)
            try db.execute("CREATE TABLE t (x); INSERT INTO t VALUES (1)")
        }
        Self.expectRefused(dir) { if case .notAStateDatabase(_, let detail) = $0 { return detail.contains("another program") }; return false }
    }

    @Test("a newer schema version is refused, naming both versions")
    func newerVersion() throws {
        let dir = try Self.populated("version")
        defer { StoreFixtures.removeDirectory(dir) }
        let path = NodeStore.databasePath(in: dir)
        do {
            let db = try Database(path: path, mode: .readWrite)
            try db.execute("PRAGMA user_version=3")
        }
        Self.expectRefused(dir) { $0 == .unsupportedVersion(path: path, found: 3, supported: 2) }
    }

    @Test("a checkpoint blob that no longer matches its checksum is reported, not returned")
    func checksumMismatch() throws {
        let dir = try Self.populated("checksum")
        defer { StoreFixtures.removeDirectory(dir) }
        let path = NodeStore.databasePath(in: dir)
        let good = StoreFixtures.littleEndian(StoreFixtures.adapter(round: 1, count: 20_000))
        var bad = good
        bad[12_345] ^= 0x10
        do {
            let db = try Database(path: path, mode: .readWrite)
            try db.run("UPDATE checkpoints SET adapter = ?1 WHERE round = 1", [.blob(bad)])
        }
        let store = try NodeStore.open(directory: dir, identity: StoreFixtures.identity, config: .null)
        do {
            _ = try store.latestCheckpoint()
            Issue.record("a corrupt adapter was returned")
        } catch {
            guard case let .checksumMismatch(errorPath, round, blob, stored, actual) = error else {
                Issue.record("unexpected error \(error)"); return
            }
            #expect(errorPath == path && round == 1 && blob == "adapter")
            #expect(stored == XXH64.hash(good) && actual == XXH64.hash(bad))
        }
        #expect(try store.checkpoint(round: 0)?.adapter == StoreFixtures.adapter(round: 0, count: 20_000))
    }

    /// A hostile database whose checkpoint row passes its checksums but holds a round below 0 (the
    /// node would resume at round -6) or an adapter_count whose byte size overflows: refused as a
    /// malformed row naming the file and the value, never a trap.
    @Test("a checkpoint row with a negative round or an overflowing adapter_count is reported as malformed",
          arguments: [
              ("INSERT INTO rounds SELECT -7, loss, consensus_estimate, neighbours, bytes_sent, bytes_received, seconds, product_gap FROM rounds WHERE round = 1; "
               + "DELETE FROM checkpoints WHERE round = 0; UPDATE checkpoints SET round = -7 WHERE round = 1", "round -7 is negative"),
              ("UPDATE checkpoints SET adapter_count = 4611686018427387904 WHERE round = 1", "4611686018427387904"),
          ])
    func hostileCheckpointRow(sql: String, named: String) throws {
        let dir = try Self.populated("hostile-row")
        defer { StoreFixtures.removeDirectory(dir) }
        let path = NodeStore.databasePath(in: dir)
        do {
            let db = try Database(path: path, mode: .readWrite)
            try db.execute(sql)
        }
        let store = try NodeStore.open(directory: dir, identity: StoreFixtures.identity, config: .null)
        do {
            let returned = try store.latestCheckpoint()
            Issue.record("a hostile checkpoint row was returned: round \(returned?.round ?? 0)")
        } catch {
            guard case let .malformedRow(errorPath, table, detail) = error else { Issue.record("unexpected error \(error)"); return }
            #expect(errorPath == path && table == "checkpoints" && detail.contains(named), "\(error)")
        }
    }
}
