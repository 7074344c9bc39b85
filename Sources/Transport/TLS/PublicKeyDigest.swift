import COpenSSL
import Hashing
import SwarmBase

/// Node ids: SHA-256 over the DER SubjectPublicKeyInfo.
enum PublicKeyDigest {
    static func nodeID(of key: OpaquePointer) throws(CertificateError) -> NodeID {
        let length = i2d_PUBKEY(key, nil)
        guard length > 0 else { throw .openSSL(operation: "encode a public key", detail: OpenSSLErrorQueue.drain()) }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return i2d_PUBKEY(key, &cursor)
        }
        guard written == length else { throw .openSSL(operation: "encode a public key", detail: OpenSSLErrorQueue.drain()) }
        return NodeID(digest: SHA256.hash(der))
    }
}
