import SwarmBase
/// Where a swarm's certificates live under the certs directory:
///
/// ```
/// certs/ca.crt          swarm CA certificate (public; every node needs it)
/// certs/ca.key          swarm CA private key (0600; keep it on one machine, ideally offline)
/// certs/nodes/NAME.crt  node certificate, signed by the CA
/// certs/nodes/NAME.key  node private key (0600; only that node needs it)
/// ```
public struct CertificateLayout: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
    }

    public var caCertificate: String { directory + "/ca.crt" }
    public var caKey: String { directory + "/ca.key" }
    public var nodesDirectory: String { directory + "/nodes" }
    public func nodeCertificate(_ name: String) -> String { nodesDirectory + "/\(name).crt" }
    public func nodeKey(_ name: String) -> String { nodesDirectory + "/\(name).key" }

    /// Node names become file names: letters, digits, '.', '_', '-'; 1-64 bytes; no leading dot.
    public static func validate(name: String) throws(CertificateError) {
        let ok = (1...64).contains(name.utf8.count) && !name.hasPrefix(".") && name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
                || c == 0x2e || c == 0x5f || c == 0x2d
        }
        if !ok { throw .invalidName(name) }
    }
}
