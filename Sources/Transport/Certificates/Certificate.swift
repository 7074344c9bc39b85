import SwarmBase
import COpenSSL
import Glibc

/// An X.509 certificate (owns an OpenSSL X509). Immutable, so safe to share.
public final class Certificate: @unchecked Sendable {
    let pointer: OpaquePointer

    init(owning pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit { X509_free(pointer) }

    /// Parses the first PEM certificate in `pem`.
    public convenience init(pem: [UInt8], source: String = "<memory>") throws(CertificateError) {
        let cert: OpaquePointer? = pem.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_X509(bio, nil, nil, nil)
        }
        guard let cert else {
            OpenSSLErrorQueue.clear()
            throw .invalidPEM(path: source, expected: "certificate")
        }
        self.init(owning: cert)
    }

    public func pemEncoded() throws(CertificateError) -> [UInt8] {
        try MemoryBIO.collect(operation: "encode a certificate") { PEM_write_bio_X509($0, pointer) == 1 }
    }

    /// Id of the node holding this certificate's key: hex SHA-256 of the DER SubjectPublicKeyInfo.
    public var nodeID: NodeID {
        get throws(CertificateError) {
            guard let key = X509_get0_pubkey(pointer) else {
                throw .openSSL(operation: "read a certificate's public key", detail: OpenSSLErrorQueue.drain())
            }
            return try PublicKeyDigest.nodeID(of: key)
        }
    }

    /// The subject's common name, for logs.
    public var commonName: String {
        guard let name = X509_get_subject_name(pointer) else { return "" }
        var buffer = [CChar](repeating: 0, count: 256)
        let length = X509_NAME_get_text_by_NID(name, NID_commonName, &buffer, Int32(buffer.count))
        guard length > 0 else { return "" }
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
