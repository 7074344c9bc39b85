import Testing
import Store
import SwarmBase

@Suite("Node store: kill -9 at any instant restarts from the last complete round")
struct NodeStoreCrashTests {
    /// A kill -9 leaves the database file and its write-ahead log as the writer's last write()
    /// calls left them. While no WAL checkpoint runs, the database file does not change and the
    /// log only grows, so "killed at an instant" is exactly "the database file plus a prefix of
    /// the final log". Every prefix (commit boundaries, one byte either side, random cuts inside
    /// frames) must open and resume from the newest round whose commit lies inside it.
    @Test("every prefix of the write-ahead log opens at its newest complete, checksummed checkpoint")
    func everyLogPrefixResumes() throws {
        let dir = StoreFixtures.scratchDirectory("crash")
        defer { StoreFixtures.removeDirectory(dir) }
        let path = NodeStore.databasePath(in: dir)
        let adapterCount = 1500, optimizerCount = 700
        let writer = try NodeStore.open(directory: dir, identity: StoreFixtures.identity, config: StoreFixtures.config)
        let database = try #require(StoreFixtures.bytes(path))
        var commits: [(round: Int64, logSize: Int)] = []
        for n in Int64(0)..<30 {
            try writer.saveCheckpoint(round: StoreFixtures.round(n), adapter: StoreFixtures.adapter(round: n, count: adapterCount),
                                      optimizer: StoreFixtures.optimizer(round: n, count: optimizerCount), keepLast: 3)
            commits.append((n, StoreFixtures.size(path + "-wal")))
            try writer.recordExchange(ExchangeRecord(peer: NodeID(digest: StoreFixtures.digest(60)), round: n, direction: .received,
                                                     bytes: 6000, norm: 0.5, accepted: n % 2 == 0, reason: nil))
        }
        // The model holds only if no checkpoint copied the log into the database meanwhile.
        #expect(StoreFixtures.bytes(path) == database)
        let log = try #require(StoreFixtures.bytes(path + "-wal"))
        #expect(commits.last?.logSize ?? 0 < log.count, "the exchanges after the last checkpoint are in the log")

        var cuts = Set([0, 1, 32, log.count])
        for commit in commits { cuts.formUnion([commit.logSize - 1, commit.logSize, commit.logSize + 1]) }
        var random = SeededRandom(seed: 2024)
        for _ in 0..<40 { cuts.insert(random.below(log.count + 1)) }

        for cut in cuts.sorted() where cut <= log.count {
            let copy = StoreFixtures.scratchDirectory("crash-copy")
            defer { StoreFixtures.removeDirectory(copy) }
            try FileIO.writeAtomically(database, to: NodeStore.databasePath(in: copy))
            if cut > 0 { try FileIO.writeAtomically(Array(log.prefix(cut)), to: NodeStore.databasePath(in: copy) + "-wal") }
            let expected = commits.last(where: { $0.logSize <= cut })?.round
            if cut % 3 == 0 {
                // `status` after the crash, before the node restarts: the reader recovers the log too.
                let status = try NodeStore.openReadOnly(directory: copy)
                #expect(try status.latestCheckpoint()?.round == expected, "read-only, log cut at byte \(cut)")
            }
            let restarted = try NodeStore.open(directory: copy, identity: StoreFixtures.identity, config: StoreFixtures.config)
            let checkpoint = try restarted.latestCheckpoint()
            #expect(checkpoint?.round == expected, "log cut at byte \(cut) of \(log.count)")
            if let checkpoint {
                #expect(checkpoint.adapter == StoreFixtures.adapter(round: checkpoint.round, count: adapterCount))
                #expect(checkpoint.optimizer == StoreFixtures.optimizer(round: checkpoint.round, count: optimizerCount))
            }
            // The round row and its checkpoint were committed together.
            #expect(try restarted.latestRound() == expected)
            let kept = expected.map { Array(max(0, $0 - 2)...$0) } ?? []
            #expect(try restarted.checkpointRounds() == kept)
            #expect(try restarted.integrityCheck() == [])
        }
    }
}
