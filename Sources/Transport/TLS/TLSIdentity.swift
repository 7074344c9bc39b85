import SwarmBase
import COpenSSL

/// What a node presents and trusts in TLS: the swarm CA certificate, its own certificate and key.
public struct TLSIdentity: Sendable {
    public let trustedCA: Certificate
    public let certificate: Certificate
    public let key: PrivateKey
    /// Derived from `certificate`'s public key (see `NodeID`).
    public let nodeID: NodeID

    /// Checks that `key` belongs to `certificate`.
    public init(trustedCA: Certificate, certificate: Certificate, key: PrivateKey) throws(CertificateError) {
        guard X509_check_private_key(certificate.pointer, key.pointer) == 1 else {
            throw .openSSL(operation: "match the private key with the certificate", detail: OpenSSLErrorQueue.drain())
        }
        self.trustedCA = trustedCA
        self.certificate = certificate
        self.key = key
        self.nodeID = try certificate.nodeID
    }

    /// Loads ca.crt and nodes/NAME.{crt,key} from a certs directory (see `CertificateLayout`).
    public static func load(certsDirectory: String, node name: String) throws(CertificateError) -> TLSIdentity {
        try CertificateLayout.validate(name: name)
        let layout = CertificateLayout(directory: certsDirectory)
        let ca = try Certificate(pem: try PEMFile.read(layout.caCertificate), source: layout.caCertificate)
        let cert = try Certificate(pem: try PEMFile.read(layout.nodeCertificate(name)), source: layout.nodeCertificate(name))
        let key = try PrivateKey(pem: try PEMFile.read(layout.nodeKey(name)), source: layout.nodeKey(name))
        return try TLSIdentity(trustedCA: ca, certificate: cert, key: key)
    }
}
