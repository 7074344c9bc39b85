import Testing
import Store
import SwarmBase

@Suite("Node store: records round-trip")
struct NodeStoreRoundTripTests {
    @Test("every record type reads back as written, after reopening and from a reader")
    func everyRecordRoundTrips() throws {
        let dir = StoreFixtures.scratchDirectory("roundtrip")
        defer { StoreFixtures.removeDirectory(dir) }
        let peer = NodeID(digest: StoreFixtures.digest(40))
        let exchanges = [
            ExchangeRecord(peer: peer, round: 0, direction: .sent, bytes: 4096, norm: 1.5, accepted: true, reason: nil),
            ExchangeRecord(peer: peer, round: 0, direction: .received, bytes: 4100, norm: 9e9, accepted: false, reason: "norm above the clip"),
            ExchangeRecord(peer: peer, round: 1, direction: .received, bytes: 0, norm: 0, accepted: true, reason: ""),
        ]
        let members = [
            MemberRecord(nodeID: NodeID(digest: StoreFixtures.digest(50)), address: "10.0.0.2:7000", state: "alive", incarnation: 3, lastSeenRound: 1),
            MemberRecord(nodeID: NodeID(digest: StoreFixtures.digest(51)), address: "[::1]:7001", state: "suspect", incarnation: 0, lastSeenRound: nil),
        ]
        let adapter = StoreFixtures.adapter(round: 1, count: 3000) + [.infinity, -0.0, .leastNonzeroMagnitude]
        do {
            let store = try NodeStore.open(directory: dir, identity: StoreFixtures.identity, config: StoreFixtures.config)
            #expect(store.meta.identity == StoreFixtures.identity)
            #expect(store.meta.config == StoreFixtures.config)
            #expect(store.meta.schemaVersion == 2)
            try store.recordRound(StoreFixtures.round(0))
            try store.saveCheckpoint(round: StoreFixtures.round(1), adapter: adapter, optimizer: [1, 2, 3], keepLast: 2)
            for e in exchanges { try store.recordExchange(e) }
            try store.upsertMember(MemberRecord(nodeID: members[0].nodeID, address: "old:1", state: "dead", incarnation: 1, lastSeenRound: 0))
            for m in members { try store.upsertMember(m) }
            #expect(try store.integrityCheck() == [])
        }
        // Closed cleanly: the log was folded into the file, nothing but the database and its lock remains.
        #expect(try FileIO.entries(of: dir) == ["node.db", "node.lock"])
        // A reader needs no running writer.
        #expect(try NodeStore.openReadOnly(directory: dir).rounds(last: 10).count == 2)
        let newConfig: JSONValue = .object(["lr": .number(0.0001)])
        let store = try NodeStore.open(directory: dir, identity: StoreFixtures.identity, config: newConfig)
        #expect(store.meta.config == newConfig)
        for reader in [store, try NodeStore.openReadOnly(directory: dir)] {
            #expect(reader.meta.identity == StoreFixtures.identity)
            #expect(reader.meta.config == newConfig)
            #expect(try reader.rounds(last: 10) == [StoreFixtures.round(0), StoreFixtures.round(1)])
            #expect(try reader.rounds(last: 1) == [StoreFixtures.round(1)])
            #expect(try reader.latestRound() == 1)
            #expect(try reader.exchanges(last: 10) == exchanges)
            #expect(try reader.exchanges(last: 2) == Array(exchanges.suffix(2)))
            #expect(try reader.members() == members)
            let checkpoint = try #require(try reader.latestCheckpoint())
            #expect(checkpoint.round == 1)
            #expect(checkpoint.optimizer == [1, 2, 3])
            #expect(checkpoint.adapter.map(\.bitPattern) == adapter.map(\.bitPattern))
        }
    }

    @Test("an empty store has no rounds, exchanges, members or checkpoint")
    func emptyStore() throws {
        let dir = StoreFixtures.scratchDirectory("empty")
        defer { StoreFixtures.removeDirectory(dir) }
        let store = try NodeStore.open(directory: FileIO.join(dir, "state/deeper"), identity: StoreFixtures.identity, config: .null)
        #expect(try store.rounds(last: 5).isEmpty)
        #expect(try store.exchanges(last: 5).isEmpty)
        #expect(try store.members().isEmpty)
        #expect(try store.latestCheckpoint() == nil)
        #expect(try store.latestRound() == nil)
    }

    @Test("only the newest keepLast checkpoints are kept; every round row stays")
    func keepLastPrunes() throws {
        let dir = StoreFixtures.scratchDirectory("prune")
        defer { StoreFixtures.removeDirectory(dir) }
        let store = try NodeStore.open(directory: dir, identity: StoreFixtures.identity, config: .null)
        for n in Int64(0)..<6 {
            try store.saveCheckpoint(round: StoreFixtures.round(n), adapter: StoreFixtures.adapter(round: n, count: 500),
                                     optimizer: StoreFixtures.optimizer(round: n, count: 100), keepLast: 3)
        }
        #expect(try store.checkpointRounds() == [3, 4, 5])
        #expect(try store.rounds(last: 100).map(\.round) == [0, 1, 2, 3, 4, 5])
        #expect(try store.latestCheckpoint()?.adapter == StoreFixtures.adapter(round: 5, count: 500))
        #expect(try store.checkpoint(round: 3)?.optimizer == StoreFixtures.optimizer(round: 3, count: 100))
        #expect(try store.checkpoint(round: 2) == nil)
        // A round saved again (the node was killed after committing it and repeats it) replaces it.
        try store.saveCheckpoint(round: StoreFixtures.round(5), adapter: [7, 8], optimizer: [5], keepLast: 3)
        #expect(try store.latestCheckpoint() == Checkpoint(round: 5, adapter: [7, 8], optimizer: [5]))
        #expect(try store.checkpointRounds() == [3, 4, 5])
        try store.saveCheckpoint(round: StoreFixtures.round(6), adapter: [1], optimizer: [], keepLast: 1)
        #expect(try store.checkpointRounds() == [6])
        #expect(try store.latestCheckpoint() == Checkpoint(round: 6, adapter: [1], optimizer: []))
    }

    @Test("a second writer on the same state directory is refused while the first is open")
    func secondWriterRefused() throws {
        let dir = StoreFixtures.scratchDirectory("lock")
        defer { StoreFixtures.removeDirectory(dir) }
        do {
            let first = try NodeStore.open(directory: dir, identity: StoreFixtures.identity, config: .null)
            #expect(throws: StoreError.locked(path: dir)) {
                _ = try NodeStore.open(directory: dir, identity: StoreFixtures.identity, config: .null)
            }
            _ = first
        }
        _ = try NodeStore.open(directory: dir, identity: StoreFixtures.identity, config: .null)
    }

    @Test("a reader sees each round the writer commits while the writer stays open")
    func readerBesideWriter() throws {
        let dir = StoreFixtures.scratchDirectory("reader")
        defer { StoreFixtures.removeDirectory(dir) }
        let writer = try NodeStore.open(directory: dir, identity: StoreFixtures.identity, config: .null)
        let reader = try NodeStore.openReadOnly(directory: dir)
        #expect(reader.isReadOnly)
        #expect(try reader.rounds(last: 10).isEmpty)
        for n in Int64(0)..<4 {
            try writer.saveCheckpoint(round: StoreFixtures.round(n), adapter: StoreFixtures.adapter(round: n, count: 2000),
                                      optimizer: [UInt8(n)], keepLast: 2)
            #expect(try reader.rounds(last: 10).map(\.round) == Array(0...n))
            #expect(try reader.latestCheckpoint()?.round == n)
        }
        try writer.recordExchange(ExchangeRecord(peer: writer.meta.identity.nodeID, round: 3, direction: .sent, bytes: 1, norm: 1, accepted: true, reason: nil))
        #expect(try reader.exchanges(last: 1).count == 1)
    }

    @Test("openReadOnly of a directory without a database says so")
    func readOnlyMissing() {
        let dir = StoreFixtures.scratchDirectory("missing")
        defer { StoreFixtures.removeDirectory(dir) }
        #expect(throws: StoreError.missing(path: NodeStore.databasePath(in: dir))) {
            _ = try NodeStore.openReadOnly(directory: dir)
        }
        #expect(StoreFixtures.bytes(NodeStore.databasePath(in: dir)) == nil)
    }
}
