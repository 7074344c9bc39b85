import Foundation

/// `STATE_DIR/membership.json`: this node's id and the highest incarnation it has used, so that a
/// restarted node starts above anything its previous life disseminated (a higher incarnation overrides
/// the dead or left tombstone peers keep for it).
public struct IncarnationStore: Sendable {
    public static let fileName = "membership.json"

    /// What the file holds.
    public struct Record: Codable, Equatable, Sendable {
        public var nodeID: String
        public var incarnation: UInt64

        public init(nodeID: String, incarnation: UInt64) {
            self.nodeID = nodeID
            self.incarnation = incarnation
        }
    }

    public let path: String

    public init(stateDirectory: String) {
        path = stateDirectory.hasSuffix("/") ? stateDirectory + Self.fileName : stateDirectory + "/" + Self.fileName
    }

    /// The stored record, or nil when the node never ran with this state directory.
    public func load() throws(NodeError) -> Record? {
        guard let bytes = try StateFile.read(path, limit: 64 << 10) else { return nil }
        do {
            return try JSONDecoder().decode(Record.self, from: Data(bytes))
        } catch {
            throw .corruptStateFile(path: path, detail: "\(error)")
        }
    }

    /// Replaces the record atomically.
    public func save(_ record: Record) throws(NodeError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do { data = try encoder.encode(record) } catch {
            throw .corruptStateFile(path: path, detail: "cannot encode: \(error)")
        }
        try StateFile.write(Array(data) + [0x0A], to: path)
    }

    /// The incarnation a starting node with `nodeID` should use: one above the stored value (0 when
    /// there is none). Refuses a state directory that belongs to another node.
    public func startingIncarnation(for nodeID: String) throws(NodeError) -> UInt64 {
        guard let record = try load() else { return 0 }
        guard record.nodeID == nodeID else {
            throw .stateBelongsToAnotherNode(path: path, stored: record.nodeID, current: nodeID)
        }
        return record.incarnation &+ 1
    }
}
