import SwarmBase
/// A node's issued credentials.
public struct IssuedNode: Sendable {
    public let name: String
    public let nodeID: NodeID
    public let certificatePath: String
    public let keyPath: String
}
