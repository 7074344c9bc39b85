import SwarmBase
import Testing
@testable import Store

/// Schema version 2 adds each round's product gap; version-1 files are read as they are and
/// migrated when a node opens them for writing.
@Suite struct NodeStoreMigrationTests {
    @Test("a round's product gap is stored and read back; a round without one reads nil")
    func productGapRoundTrips() throws {
        let dir = StoreFixtures.scratchDirectory("gap")
        defer { StoreFixtures.removeDirectory(dir) }
        let store = try NodeStore.open(directory: dir, identity: StoreFixtures.identity, config: StoreFixtures.config)
        let r = StoreFixtures.round(1)
        try store.recordRound(RoundRecord(round: 1, loss: r.loss, consensusEstimate: r.consensusEstimate, neighbours: r.neighbours,
                                          bytesSent: r.bytesSent, bytesReceived: r.bytesReceived, seconds: r.seconds, productGap: 0.0625))
        try store.recordRound(StoreFixtures.round(2))
        #expect(try store.rounds(last: 5).map(\.productGap) == [0.0625, nil])
    }

    @Test("a version-1 file is read as it is read-only, and migrated with its rows kept when opened for writing")
    func versionOneIsMigrated() throws {
        let dir = StoreFixtures.scratchDirectory("v1")
        defer { StoreFixtures.removeDirectory(dir) }
        do {
            let store = try NodeStore.open(directory: dir, identity: StoreFixtures.identity, config: StoreFixtures.config)
            for n in Int64(0)..<3 {
                try store.saveCheckpoint(round: StoreFixtures.round(n), adapter: StoreFixtures.adapter(round: n, count: 100),
                                         optimizer: StoreFixtures.optimizer(round: n, count: 10), keepLast: 3)
            }
        }
        // Make it the version-1 layout: no product_gap column, user_version 1.
        let path = NodeStore.databasePath(in: dir)
        do {
            let db = try Database(path: path, mode: .readWrite)
            try db.execute("ALTER TABLE rounds DROP COLUMN product_gap; PRAGMA user_version=1")
        }
        let before = StoreFixtures.bytes(path)
        let old = try NodeStore.openReadOnly(directory: dir)
        #expect(old.meta.schemaVersion == 1)
        #expect(try old.rounds(last: 10).map(\.round) == [0, 1, 2] && old.rounds(last: 10).allSatisfy { $0.productGap == nil })
        _ = consume old
        #expect(StoreFixtures.bytes(path) == before, "a read-only open leaves a version-1 file as it is")

        let migrated = try NodeStore.open(directory: dir, identity: StoreFixtures.identity, config: StoreFixtures.config)
        #expect(migrated.meta.schemaVersion == 2)
        #expect(try migrated.rounds(last: 10).map(\.round) == [0, 1, 2])
        #expect(try migrated.latestCheckpoint()?.adapter == StoreFixtures.adapter(round: 2, count: 100))
        #expect(try migrated.integrityCheck().isEmpty)
        let r = StoreFixtures.round(3)
        try migrated.saveCheckpoint(round: RoundRecord(round: 3, loss: r.loss, consensusEstimate: nil, neighbours: [],
                                                      bytesSent: 0, bytesReceived: 0, seconds: 1, productGap: 0.5),
                                    adapter: StoreFixtures.adapter(round: 3, count: 100), optimizer: [], keepLast: 3)
        #expect(try migrated.rounds(last: 1).first?.productGap == 0.5)
        do {
            let db = try Database(path: path, mode: .readOnly)
            #expect(try db.userVersion() == 2)
        }
    }
}
