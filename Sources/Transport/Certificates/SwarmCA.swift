import SwarmBase
/// The swarm certificate authority: one self-signed CA that every node trusts.
public struct SwarmCA: Sendable {
    public let layout: CertificateLayout
    public let certificate: Certificate
    let key: PrivateKey

    /// Creates `dir` (if needed), a fresh CA key (ca.key, mode 0600) and a self-signed CA
    /// certificate (ca.crt). Refuses to overwrite an existing CA.
    public static func initialize(
        dir: String, commonName: String = "SwarmTune swarm CA", days: Int = 3650
    ) throws(CertificateError) -> SwarmCA {
        let layout = CertificateLayout(directory: dir)
        try PEMFile.makeDirectory(layout.directory)
        for path in [layout.caKey, layout.caCertificate] where FileIO.exists(path) {
            throw .alreadyExists(path: path)
        }
        let key = try PrivateKey.generate()
        let certificate = try Certificate.create(.valid(commonName: commonName, isCA: true, days: days), for: key)
        try PEMFile.create(try key.pemEncoded(), at: layout.caKey, mode: 0o600)
        try PEMFile.create(try certificate.pemEncoded(), at: layout.caCertificate, mode: 0o644)
        return SwarmCA(layout: layout, certificate: certificate, key: key)
    }

    /// Loads the CA certificate and key from `dir` (needs ca.key: run this on the CA machine).
    public static func load(dir: String) throws(CertificateError) -> SwarmCA {
        let layout = CertificateLayout(directory: dir)
        let certificate = try Certificate(pem: try PEMFile.read(layout.caCertificate), source: layout.caCertificate)
        let key = try PrivateKey(pem: try PEMFile.read(layout.caKey), source: layout.caKey)
        return SwarmCA(layout: layout, certificate: certificate, key: key)
    }

    /// An in-memory CA (nothing written): for tests and simulations.
    public static func ephemeral(commonName: String = "SwarmTune ephemeral CA", days: Int = 30) throws(CertificateError) -> SwarmCA {
        let key = try PrivateKey.generate()
        let certificate = try Certificate.create(.valid(commonName: commonName, isCA: true, days: days), for: key)
        return SwarmCA(layout: CertificateLayout(directory: ""), certificate: certificate, key: key)
    }

    /// Issues a node key and certificate (nodes/NAME.key 0600, nodes/NAME.crt) valid for `days` days,
    /// with `hosts` (DNS names or IP literals) as subjectAltNames. Refuses to overwrite.
    public func issue(name: String, hosts: [String], days: Int = 825) throws(CertificateError) -> IssuedNode {
        try CertificateLayout.validate(name: name)
        try PEMFile.makeDirectory(layout.nodesDirectory)
        let keyPath = layout.nodeKey(name)
        let certPath = layout.nodeCertificate(name)
        for path in [keyPath, certPath] where FileIO.exists(path) { throw .alreadyExists(path: path) }
        let (certificate, nodeKey) = try makeNode(.valid(commonName: name, hosts: hosts, days: days))
        try PEMFile.create(try nodeKey.pemEncoded(), at: keyPath, mode: 0o600)
        try PEMFile.create(try certificate.pemEncoded(), at: certPath, mode: 0o644)
        return IssuedNode(name: name, nodeID: try certificate.nodeID, certificatePath: certPath, keyPath: keyPath)
    }

    /// Issues like `issue(name:hosts:days:)`, drawing fresh keys until the node id (SHA-256 of the
    /// key) satisfies `accept`, at most `attempts` times. A simulator uses it to give node i an id
    /// in the i-th slice of the id space, so the ids sort as the scenario's node indices do (the
    /// order every topology rule and mixing sum follows).
    public func issue(name: String, hosts: [String], days: Int = 825, attempts: Int,
                      accepting accept: (NodeID) -> Bool) throws(CertificateError) -> IssuedNode {
        try CertificateLayout.validate(name: name)
        try PEMFile.makeDirectory(layout.nodesDirectory)
        let keyPath = layout.nodeKey(name)
        let certPath = layout.nodeCertificate(name)
        for path in [keyPath, certPath] where FileIO.exists(path) { throw .alreadyExists(path: path) }
        for _ in 0..<max(1, attempts) {
            let (certificate, nodeKey) = try makeNode(.valid(commonName: name, hosts: hosts, days: days))
            let id = try certificate.nodeID
            guard accept(id) else { continue }
            try PEMFile.create(try nodeKey.pemEncoded(), at: keyPath, mode: 0o600)
            try PEMFile.create(try certificate.pemEncoded(), at: certPath, mode: 0o644)
            return IssuedNode(name: name, nodeID: id, certificatePath: certPath, keyPath: keyPath)
        }
        throw .openSSL(operation: "issue \(name)", detail: "no key in \(attempts) draws gave a node id the caller accepts")
    }

    /// A fresh key and a certificate for it signed by this CA, in memory, with any validity window.
    public func makeNode(_ spec: CertificateSpec) throws(CertificateError) -> (certificate: Certificate, key: PrivateKey) {
        let nodeKey = try PrivateKey.generate()
        let certificate = try Certificate.create(spec, for: nodeKey, issuer: (self.certificate, key))
        return (certificate, nodeKey)
    }

    /// A ready-to-use TLS identity for a new in-memory node of this CA.
    public func makeIdentity(name: String, hosts: [String] = ["127.0.0.1"], days: Int = 30) throws(CertificateError) -> TLSIdentity {
        let (certificate, nodeKey) = try makeNode(.valid(commonName: name, hosts: hosts, days: days))
        return try TLSIdentity(trustedCA: self.certificate, certificate: certificate, key: nodeKey)
    }
}
