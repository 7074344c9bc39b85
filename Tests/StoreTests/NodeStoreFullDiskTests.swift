#if canImport(Glibc)
import Glibc
#endif
import Testing
import Store
import SwarmBase

/// Mounts a 1 MB tmpfs to fill: needs root and a kernel that lets this process mount.
private let tmpfsMountable: Bool = {
    guard getuid() == 0 else { return false }
    let probe = StoreFixtures.scratchDirectory("mount-probe")
    defer { StoreFixtures.removeDirectory(probe) }
    guard mount("tmpfs", probe, "tmpfs", 0, "size=64k") == 0 else { return false }
    return umount(probe) == 0
}()

@Suite("Node store: a full disk while checkpointing")
struct NodeStoreFullDiskTests {
    @Test("a checkpoint too big for the disk fails saying the disk is full; the previous one still loads intact",
          .enabled(if: tmpfsMountable, "skipped: mounting a 1 MB tmpfs needs root and permission to mount"))
    func fullDiskKeepsPreviousCheckpoint() throws {
        let mountPoint = StoreFixtures.scratchDirectory("fulldisk")
        defer { StoreFixtures.removeDirectory(mountPoint) }
        try #require(mount("tmpfs", mountPoint, "tmpfs", 0, "size=1m") == 0, "mount: \(Errno.current)")
        defer {
            if umount(mountPoint) != 0 { umount2(mountPoint, Int32(MNT_DETACH)) }
        }
        let dir = FileIO.join(mountPoint, "state")
        let small = StoreFixtures.adapter(round: 0, count: 20_000)
        do {
            let store = try NodeStore.open(directory: dir, identity: StoreFixtures.identity, config: .null)
            try store.saveCheckpoint(round: StoreFixtures.round(0), adapter: small, optimizer: [9, 9], keepLast: 3)
            let path = NodeStore.databasePath(in: dir)
            do {
                try store.saveCheckpoint(round: StoreFixtures.round(1), adapter: StoreFixtures.adapter(round: 1, count: 400_000),
                                         optimizer: [], keepLast: 3)
                Issue.record("a 1.6 MB checkpoint fitted on a 1 MB disk")
            } catch {
                #expect(error == .diskFull(path: path, writing: "the round 1 checkpoint", previousRound: 0))
                #expect(error.description.contains("the disk is full") && error.description.contains("previous checkpoint (round 0) is intact"))
            }
            #expect(try store.latestCheckpoint() == Checkpoint(round: 0, adapter: small, optimizer: [9, 9]))
            #expect(try store.latestRound() == 0, "the round row went with its checkpoint")
            // Once a checkpoint fits again, saving works on the same connection.
            try store.saveCheckpoint(round: StoreFixtures.round(1), adapter: [1, 2], optimizer: [], keepLast: 3)
        }
        let reopened = try NodeStore.open(directory: dir, identity: StoreFixtures.identity, config: .null)
        #expect(try reopened.checkpointRounds() == [0, 1])
        #expect(try reopened.checkpoint(round: 0)?.adapter == small)
        #expect(try reopened.integrityCheck() == [])
    }
}
