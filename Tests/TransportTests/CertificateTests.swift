import SwarmBase
import COpenSSL
import COpenSSLShims
import Foundation
import Glibc
import Hashing
import Testing
@testable import Transport

@Suite("Certificates")
struct CertificateTests {
    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "swarmtune-certs-\(UUID().uuidString)"
        return path
    }

    static func mode(of path: String) -> mode_t {
        var info = stat()
        stat(path, &info)
        return info.st_mode & 0o777
    }

    /// OpenSSL's text dump of a certificate, to check extensions the way an operator would.
    static func text(of certificate: Certificate) -> String {
        let bio = BIO_new(BIO_s_mem())!
        defer { BIO_free(bio) }
        X509_print_ex(bio, certificate.pointer, 0, 0)
        var data: UnsafeMutablePointer<CChar>?
        let length = swarm_BIO_get_mem_data(bio, &data)
        return String(decoding: UnsafeRawBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// Verifies `certificate` against `ca` alone, as TLS will.
    static func verifies(_ certificate: Certificate, against ca: Certificate) -> Bool {
        let store = X509_STORE_new()!
        defer { X509_STORE_free(store) }
        X509_STORE_add_cert(store, ca.pointer)
        let context = X509_STORE_CTX_new()!
        defer { X509_STORE_CTX_free(context) }
        X509_STORE_CTX_init(context, store, certificate.pointer, nil)
        return X509_verify_cert(context) == 1
    }

    @Test("initialize and issue write the documented layout with private keys at 0600")
    func layoutAndModes() throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let previous = umask(0o022)
        defer { umask(previous) }
        let ca = try SwarmCA.initialize(dir: dir)
        let issued = try ca.issue(name: "node-1", hosts: ["127.0.0.1", "node-1.swarm.local", "::1"], days: 30)
        let layout = CertificateLayout(directory: dir)
        #expect(issued.certificatePath == dir + "/nodes/node-1.crt")
        #expect(issued.keyPath == dir + "/nodes/node-1.key")
        #expect(Self.mode(of: layout.caKey) == 0o600)
        #expect(Self.mode(of: issued.keyPath) == 0o600)
        #expect(Self.mode(of: layout.caCertificate) == 0o644)
        #expect(Self.mode(of: issued.certificatePath) == 0o644)

        let identity = try TLSIdentity.load(certsDirectory: dir, node: "node-1")
        #expect(identity.nodeID == issued.nodeID)
        #expect(try identity.key.nodeID == issued.nodeID)
        #expect(Self.verifies(identity.certificate, against: ca.certificate))
        #expect(identity.certificate.commonName == "node-1")
    }

    @Test("CA and node certificates carry the required extensions")
    func extensions() throws {
        let ca = try SwarmCA.ephemeral()
        let caText = Self.text(of: ca.certificate)
        #expect(caText.contains("CA:TRUE"))
        #expect(caText.contains("Certificate Sign"))
        #expect(caText.contains("ED25519"))
        let (node, _) = try ca.makeNode(.valid(commonName: "n", hosts: ["10.1.2.3", "peer.example"], days: 3))
        let nodeText = Self.text(of: node)
        #expect(nodeText.contains("CA:FALSE"))
        #expect(nodeText.contains("TLS Web Server Authentication, TLS Web Client Authentication"))
        #expect(nodeText.contains("IP Address:10.1.2.3"))
        #expect(nodeText.contains("DNS:peer.example"))
    }

    @Test("validity windows are written as given, so expired and future certificates fail verification")
    func validityWindows() throws {
        let ca = try SwarmCA.ephemeral()
        let now = Int64(time(nil))
        let (expired, _) = try ca.makeNode(CertificateSpec(commonName: "old", notBefore: now - 7200, notAfter: now - 3600))
        let (future, _) = try ca.makeNode(CertificateSpec(commonName: "new", notBefore: now + 3600, notAfter: now + 7200))
        let (current, _) = try ca.makeNode(.valid(commonName: "ok", days: 1))
        #expect(!Self.verifies(expired, against: ca.certificate))
        #expect(!Self.verifies(future, against: ca.certificate))
        #expect(Self.verifies(current, against: ca.certificate))
        #expect(throws: CertificateError.invalidValidity(notBefore: now, notAfter: now)) {
            try ca.makeNode(CertificateSpec(commonName: "x", notBefore: now, notAfter: now))
        }
    }

    @Test("a certificate from another CA or a self-signed one does not verify against the swarm CA")
    func foreignCertificates() throws {
        let ca = try SwarmCA.ephemeral()
        let other = try SwarmCA.ephemeral(commonName: "other")
        let (foreign, _) = try other.makeNode(.valid(commonName: "f", days: 1))
        let key = try PrivateKey.generate()
        let selfSigned = try Certificate.create(.valid(commonName: "s", days: 1), for: key)
        #expect(!Self.verifies(foreign, against: ca.certificate))
        #expect(!Self.verifies(selfSigned, against: ca.certificate))
    }

    @Test("existing keys are never overwritten; bad names and hosts are refused")
    func refusals() throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ca = try SwarmCA.initialize(dir: dir)
        #expect(throws: CertificateError.alreadyExists(path: dir + "/ca.key")) { try SwarmCA.initialize(dir: dir) }
        _ = try ca.issue(name: "a", hosts: ["127.0.0.1"])
        #expect(throws: CertificateError.alreadyExists(path: dir + "/nodes/a.key")) { try ca.issue(name: "a", hosts: []) }
        for name in ["", "../evil", ".hidden", "a/b", String(repeating: "x", count: 65)] {
            #expect(throws: CertificateError.invalidName(name)) { try ca.issue(name: name, hosts: []) }
        }
        #expect(throws: CertificateError.invalidHost("bad host!")) { try ca.issue(name: "b", hosts: ["bad host!"]) }
        #expect(throws: CertificateError.missing(path: dir + "/nodes/zzz.crt")) { try TLSIdentity.load(certsDirectory: dir, node: "zzz") }
        let reloaded = try SwarmCA.load(dir: dir)
        #expect(try reloaded.certificate.nodeID == ca.certificate.nodeID)
    }

    @Test("a key that does not match the certificate is refused")
    func mismatchedKey() throws {
        let ca = try SwarmCA.ephemeral()
        let (certificate, _) = try ca.makeNode(.valid(commonName: "n", days: 1))
        #expect(throws: CertificateError.self) {
            try TLSIdentity(trustedCA: ca.certificate, certificate: certificate, key: PrivateKey.generate())
        }
    }

    @Test("node ids are the SHA-256 of the DER public key: stable, distinct, and PEM round-trip safe")
    func nodeIDs() throws {
        let key = try PrivateKey.generate()
        let reparsed = try PrivateKey(pem: key.pemEncoded())
        #expect(try key.nodeID == reparsed.nodeID)
        #expect(try key.nodeID != PrivateKey.generate().nodeID)
        // Ed25519 SubjectPublicKeyInfo is a fixed 12-byte header plus the 32-byte key.
        var der = [UInt8](repeating: 0, count: 44)
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_PUBKEY(key.pointer, &cursor)
        }
        #expect(written == 44)
        #expect(try key.nodeID.digest == SHA256.hash(der))
        #expect(try key.nodeID.hex.count == 64)
    }
}
