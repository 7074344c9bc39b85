import SwarmBase

/// A copy of plaintext the transport handed to TLS (`SSL_write`): what a peer decrypts, byte for
/// byte. Delivered to `TransportConfiguration.plaintextTap`, a diagnostic and test hook (the
/// privacy test records every byte a node sends with it and shows no training data is among them).
///
/// The writes of one connection, in order, are exactly its plaintext stream: length-prefixed
/// frames (`Frame`), possibly split across writes.
public struct PlaintextWrite: Sendable {
    /// The connection the bytes went out on (a number local to this transport).
    public let connection: UInt64
    /// The peer TLS verified on the connection (nil only before the handshake finished, when no
    /// frame is written).
    public let peer: NodeID?
    /// The bytes `SSL_write` accepted.
    public let bytes: [UInt8]

    public init(connection: UInt64, peer: NodeID?, bytes: [UInt8]) {
        self.connection = connection
        self.peer = peer
        self.bytes = bytes
    }
}
