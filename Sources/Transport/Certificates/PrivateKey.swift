import SwarmBase
import COpenSSL
import COpenSSLShims

/// An Ed25519 private key (owns an OpenSSL EVP_PKEY).
///
/// Ed25519: small keys, fast signatures, supported by TLS 1.3 in OpenSSL 3.
/// Immutable after creation, so sharing it across threads is safe.
public final class PrivateKey: @unchecked Sendable {
    let pointer: OpaquePointer

    private init(owning pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit { EVP_PKEY_free(pointer) }

    /// A fresh random Ed25519 key.
    public static func generate() throws(CertificateError) -> PrivateKey {
        guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nil) else {
            throw .openSSL(operation: "create a key context", detail: OpenSSLErrorQueue.drain())
        }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_generate(context, &key) == 1, let key else {
            throw .openSSL(operation: "generate an Ed25519 key", detail: OpenSSLErrorQueue.drain())
        }
        return PrivateKey(owning: key)
    }

    /// Parses a PEM private key (PKCS#8, unencrypted).
    public convenience init(pem: [UInt8], source: String = "<memory>") throws(CertificateError) {
        let key: OpaquePointer? = pem.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
        guard let key else {
            OpenSSLErrorQueue.clear()
            throw .invalidPEM(path: source, expected: "private key")
        }
        self.init(owning: key)
    }

    /// PKCS#8 PEM, unencrypted: protect the file by its mode (0600, given to open(2) by `FileIO.writeDurably`).
    public func pemEncoded() throws(CertificateError) -> [UInt8] {
        try MemoryBIO.collect(operation: "encode a private key") { bio in
            PEM_write_bio_PrivateKey(bio, pointer, nil, nil, 0, nil, nil) == 1
        }
    }

    /// The node id that a certificate for this key would carry.
    public var nodeID: NodeID {
        get throws(CertificateError) { try PublicKeyDigest.nodeID(of: pointer) }
    }
}
