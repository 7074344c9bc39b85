import Foundation

/// `STATE_DIR/members.json`: a running node's view of the swarm, rewritten atomically every protocol
/// period so that `members --state DIR` (another process) can show it.
public struct MembersFile: Codable, Equatable, Sendable {
    public static let fileName = "members.json"

    /// One member as this node sees it.
    public struct Entry: Codable, Equatable, Sendable {
        public var id: String
        public var address: String
        public var status: String
        public var incarnation: UInt64
        /// Wall-clock time (ms since the Unix epoch) of the last verified SWIM message from this member;
        /// nil if it never talked to this node directly (known through gossip only).
        public var lastHeardMs: Int64?
        public var coreHash: String
        public var adapterSchemaHash: String

        public init(id: String, address: String, status: String, incarnation: UInt64, lastHeardMs: Int64?,
                    coreHash: String, adapterSchemaHash: String) {
            self.id = id
            self.address = address
            self.status = status
            self.incarnation = incarnation
            self.lastHeardMs = lastHeardMs
            self.coreHash = coreHash
            self.adapterSchemaHash = adapterSchemaHash
        }
    }

    /// This node itself.
    public var node: Entry
    /// Wall-clock time (ms since the Unix epoch) of this snapshot.
    public var writtenAtMs: Int64
    /// Whether the node was still running when it wrote this snapshot (false after leave/stop).
    public var running: Bool
    /// Every other member known, tombstones included, ordered by id.
    public var members: [Entry]

    public init(node: Entry, writtenAtMs: Int64, running: Bool, members: [Entry]) {
        self.node = node
        self.writtenAtMs = writtenAtMs
        self.running = running
        self.members = members
    }

    public static func path(stateDirectory: String) -> String {
        stateDirectory.hasSuffix("/") ? stateDirectory + fileName : stateDirectory + "/" + fileName
    }

    public func write(stateDirectory: String) throws(NodeError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let path = Self.path(stateDirectory: stateDirectory)
        let data: Data
        do { data = try encoder.encode(self) } catch {
            throw .corruptStateFile(path: path, detail: "cannot encode: \(error)")
        }
        try StateFile.write(Array(data) + [0x0A], to: path)
    }

    public static func read(stateDirectory: String) throws(NodeError) -> MembersFile {
        let path = path(stateDirectory: stateDirectory)
        guard let bytes = try StateFile.read(path) else {
            throw .missingStateFile(path: path, hint: "is a node running (or did one run) with --state \(stateDirectory)?")
        }
        do {
            return try JSONDecoder().decode(MembersFile.self, from: Data(bytes))
        } catch {
            throw .corruptStateFile(path: path, detail: "\(error)")
        }
    }
}
