import Foundation
import Store
import SwarmBase
import Testing
import TestSupport
@testable import SwarmTuneCLI

/// `swarmtune status` reads a node's store, also while the node holds it open for writing.
@Suite struct StatusCommandTests {
    static let identity = StoreIdentity(nodeID: NodeID(digest: Digest32(unchecked: [UInt8](repeating: 7, count: 32))),
                                        swarmID: "lab", coreHash: Digest32(unchecked: [UInt8](repeating: 1, count: 32)),
                                        schemaHash: Digest32(unchecked: [UInt8](repeating: 2, count: 32)))
    static let peer = NodeID(digest: Digest32(unchecked: [UInt8](repeating: 9, count: 32)))

    /// A store with three complete rounds (two checkpoints kept) and two exchanges of round 3.
    static func writeStore(_ dir: String) throws -> NodeStore {
        let store = try NodeStore.open(directory: dir, identity: identity, config: .object([:]))
        for r in 1...3 {
            let record = RoundRecord(round: Int64(r), loss: 2.0 / Double(r), consensusEstimate: 0.1 / Double(r),
                                     neighbours: [peer], bytesSent: 7 << 20, bytesReceived: 7 << 20, seconds: 9.5)
            try store.saveCheckpoint(round: record, adapter: [Float(r)], optimizer: [], keepLast: 2)
        }
        try store.recordExchange(ExchangeRecord(peer: peer, round: 3, direction: .received, bytes: 1746, norm: 0.7,
                                                accepted: true, reason: nil))
        try store.recordExchange(ExchangeRecord(peer: peer, round: 3, direction: .received, bytes: 1746, norm: 0,
                                                accepted: false, reason: "value 4 is not finite (NaN or infinity)"))
        return store
    }

    @Test("status reads the rounds, checkpoints and exchange decisions while the writer holds the store")
    func statusReadsALiveStore() throws {
        let dir = TemporaryDirectory()
        let writer = try Self.writeStore(dir.path)
        let status = try NodeStatus.read(stateDirectory: dir.path, rounds: 2, exchanges: 10)
        #expect(status.node == Self.identity.nodeID.hex && status.swarm == "lab")
        #expect(status.latestRound == 3 && status.latestCheckpoint == 3 && status.checkpoints == [2, 3])
        #expect(status.rounds.map(\.round) == [3, 2])
        #expect(status.rounds.first?.neighboursMixed == 1 && status.rounds.first?.loss == 2.0 / 3.0)
        #expect(status.exchanges.count == 2)
        #expect(status.exchanges.first?.accepted == false && status.exchanges.first?.reason?.contains("not finite") == true)
        #expect(status.text.contains("refused: value 4 is not finite"))
        #expect(status.text.contains("7.0 MB") && status.text.contains("  1 KB "))
        #expect(SwarmTuneCommand.main(["status", "--state", dir.path, "--json"]) == 0)
        #expect(SwarmTuneCommand.main(["status", "--state", dir.path]) == 0)
        _ = writer
    }

    @Test("status on a directory without a node database fails naming the file")
    func statusOnAnEmptyDirectoryFails() throws {
        let dir = TemporaryDirectory()
        #expect(throws: StoreError.self) { try NodeStatus.read(stateDirectory: dir.path, rounds: 5, exchanges: 5) }
        #expect(SwarmTuneCommand.main(["status", "--state", dir.path]) == 1)
        #expect(SwarmTuneCommand.main(["status"]) == 2)
    }
}
