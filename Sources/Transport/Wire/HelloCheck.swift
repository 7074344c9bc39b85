import SwarmBase
/// Decides whether a peer's hello is acceptable. Pure: no I/O, no clock.
public enum HelloCheck {
    /// nil if `peer` may talk to `local`; otherwise the reason to send before closing.
    ///
    /// `certifiedID` is the id derived from the certificate TLS verified, so a peer cannot
    /// claim an id whose key it does not hold.
    public static func validate(peer: Hello, local: Hello, certifiedID: NodeID) -> Reason? {
        if peer.version != local.version {
            return Reason(.versionMismatch, "protocol version \(peer.version) is not supported (this node speaks \(local.version))")
        }
        if peer.nodeID != certifiedID {
            return Reason(.nodeIDMismatch, "hello claims node id \(peer.nodeID.hex) but the certificate's key gives \(certifiedID.hex)")
        }
        if peer.nodeID == local.nodeID {
            return Reason(.unexpectedPeer, "connected to itself (node id \(local.nodeID.short))")
        }
        if peer.swarmID != local.swarmID {
            return Reason(.swarmMismatch, "swarm id '\(peer.swarmID)' differs from this node's '\(local.swarmID)'")
        }
        if peer.coreHash != local.coreHash {
            return Reason(.coreHashMismatch, "core hash \(peer.coreHash.hex.prefix(16))... differs from this node's \(local.coreHash.hex.prefix(16))...")
        }
        if peer.schemaHash != local.schemaHash {
            return Reason(.schemaMismatch, "adapter schema hash \(peer.schemaHash.hex.prefix(16))... differs from this node's \(local.schemaHash.hex.prefix(16))...")
        }
        return nil
    }
}
