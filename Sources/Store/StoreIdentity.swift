import SwarmBase

/// What a state database belongs to. A node refuses a database written for another node,
/// another swarm, another core model or another adapter schema: resuming from it would mix
/// training state that does not fit together.
public struct StoreIdentity: Hashable, Sendable {
    /// The node's id (its key digest).
    public let nodeID: NodeID
    /// The swarm the node trains in.
    public let swarmID: String
    /// SHA-256 of the quantized core model file.
    public let coreHash: Digest32
    /// Digest of the adapter schema (modules, ranks, shapes).
    public let schemaHash: Digest32

    public init(nodeID: NodeID, swarmID: String, coreHash: Digest32, schemaHash: Digest32) {
        self.nodeID = nodeID
        self.swarmID = swarmID
        self.coreHash = coreHash
        self.schemaHash = schemaHash
    }
}

/// The meta row of a state database: its identity, the node's configuration and the schema version.
public struct StoreMeta: Hashable, Sendable {
    public let identity: StoreIdentity
    /// The configuration the node last started with.
    public let config: JSONValue
    /// `PRAGMA user_version` of the file.
    public let schemaVersion: Int64
    /// When the database was created (seconds since 1970).
    public let createdAt: Int64
}
