import SwarmBase
import Foundation
import SwarmNode
import Testing

@Suite struct StateFilesTests {
    private func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("state-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("a node starts at incarnation 0, then one above whatever it stored")
    func incarnationRisesAcrossRestarts() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = IncarnationStore(stateDirectory: directory)
        let id = String(repeating: "a1", count: 32)
        #expect(try store.startingIncarnation(for: id) == 0)
        for stored: UInt64 in [0, 7, 41] {
            try store.save(.init(nodeID: id, incarnation: stored))
            #expect(try store.startingIncarnation(for: id) == stored + 1)
            #expect(try store.load() == .init(nodeID: id, incarnation: stored))
        }
    }

    @Test("a state directory of another node, or a corrupt file, is refused with the path")
    func foreignOrCorruptStateIsRefused() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = IncarnationStore(stateDirectory: directory)
        try store.save(.init(nodeID: "node-a", incarnation: 3))
        #expect(throws: NodeError.self) { try store.startingIncarnation(for: "node-b") }
        for garbage in ["", "{", "{\"nodeID\": 5}", "[1,2]", "{\"nodeID\":\"x\",\"incarnation\":-1}"] {
            try Data(garbage.utf8).write(to: URL(fileURLWithPath: store.path))
            do {
                _ = try store.load()
                Issue.record("accepted \(garbage)")
            } catch {
                guard case .corruptStateFile(let path, _) = error else { Issue.record("\(error)"); continue }
                #expect(path == store.path)
            }
        }
    }

    @Test("members.json round-trips and leaves no temporary file behind")
    func membersFileRoundTrip() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let me = MembersFile.Entry(id: "me", address: "127.0.0.1:7000", status: "alive", incarnation: 2,
                                   lastHeardMs: nil, coreHash: "c0", adapterSchemaHash: "5c")
        var peers: [MembersFile.Entry] = []
        for index in 0..<5 {
            let heard: Int64? = index == 4 ? nil : 1_700_000_000_000 + Int64(index)
            peers.append(MembersFile.Entry(id: "peer\(index)", address: "127.0.0.1:\(7001 + index)",
                                           status: index == 3 ? "dead" : "alive", incarnation: UInt64(index),
                                           lastHeardMs: heard, coreHash: "c0", adapterSchemaHash: "5c"))
        }
        let file = MembersFile(node: me, writtenAtMs: 1_700_000_000_123, running: true, members: peers)
        try file.write(stateDirectory: directory)
        #expect(try MembersFile.read(stateDirectory: directory) == file)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == [MembersFile.fileName])
    }
}
