import SwarmBase

/// The first frame each side sends once TLS is up: who I am and what I train.
///
/// Two nodes only talk if protocol version, swarm id, core hash and adapter schema hash are equal,
/// and if `nodeID` is the id derived from the certificate the peer presented.
public struct Hello: Hashable, Sendable {
    /// Wire protocol version this build speaks (2: payload frames with a sender replaced the
    /// membership and factors frames of version 1).
    public static let currentVersion: UInt16 = 2
    /// Byte limit of `swarmID` and `listenAddress`.
    public static let maxTextLength = 255

    public var version: UInt16
    public var nodeID: NodeID
    public var swarmID: String
    /// Where this node accepts connections ("host:port"); empty if it does not listen.
    public var listenAddress: String
    /// Hash of the frozen base model (GGUF core) both sides must share.
    public var coreHash: Digest32
    /// Hash of the adapter schema (rank, alpha, targets, shapes).
    public var schemaHash: Digest32

    public init(
        version: UInt16 = Hello.currentVersion, nodeID: NodeID, swarmID: String,
        listenAddress: String, coreHash: Digest32, schemaHash: Digest32
    ) {
        self.version = version
        self.nodeID = nodeID
        self.swarmID = swarmID
        self.listenAddress = listenAddress
        self.coreHash = coreHash
        self.schemaHash = schemaHash
    }

    // Layout: version u16 | node id [32] | swarm id (u16 len, utf8) | listen address (u16 len, utf8)
    //         | core hash [32] | schema hash [32]. The version comes first in every future layout.
    func encode(into writer: inout ByteWriter) {
        writer.u16(version)
        writer.raw(nodeID.digest.bytes)
        writer.string(swarmID, length: UInt16.self)
        writer.string(listenAddress, length: UInt16.self)
        writer.raw(coreHash.bytes)
        writer.raw(schemaHash.bytes)
    }

    static func decode(_ reader: inout ByteReader<ArraySlice<UInt8>>) throws(ByteReadError) -> Hello {
        let version = try reader.u16("version")
        let node = NodeID(digest: try reader.digest("nodeID"))
        let swarm = try reader.string("swarmID", length: UInt16.self, limit: maxTextLength, allowEmpty: false)
        let listen = try reader.string("listenAddress", length: UInt16.self, limit: maxTextLength)
        let core = try reader.digest("coreHash")
        let schema = try reader.digest("schemaHash")
        try reader.expectEnd()
        return Hello(version: version, nodeID: node, swarmID: swarm, listenAddress: listen, coreHash: core, schemaHash: schema)
    }

    /// The version field of a hello payload, readable even when the rest is in a layout we do not know.
    static func peekVersion(_ payload: ArraySlice<UInt8>) -> UInt16? {
        guard payload.count >= 2 else { return nil }
        return UInt16(payload[payload.startIndex]) | UInt16(payload[payload.startIndex + 1]) << 8
    }
}
