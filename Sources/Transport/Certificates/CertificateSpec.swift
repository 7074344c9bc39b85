import SwarmBase
import COpenSSL
import Glibc

/// What to put in a certificate. Validity is explicit so tests can build expired or
/// not-yet-valid certificates; `SwarmCA` fills in sensible values for real use.
public struct CertificateSpec: Sendable {
    public var commonName: String
    /// DNS names and IP literals for subjectAltName (leaf certificates).
    public var hosts: [String]
    /// A CA certificate (basicConstraints CA:TRUE, keyUsage keyCertSign) instead of a node certificate.
    public var isCA: Bool
    /// Start of validity, seconds since the Unix epoch.
    public var notBefore: Int64
    /// End of validity, seconds since the Unix epoch.
    public var notAfter: Int64

    public init(commonName: String, hosts: [String] = [], isCA: Bool = false, notBefore: Int64, notAfter: Int64) {
        self.commonName = commonName
        self.hosts = hosts
        self.isCA = isCA
        self.notBefore = notBefore
        self.notAfter = notAfter
    }

    /// Valid from one hour ago (clock skew between machines) for `days` days.
    public static func valid(commonName: String, hosts: [String] = [], isCA: Bool = false, days: Int) -> CertificateSpec {
        let now = Int64(time(nil))
        return CertificateSpec(commonName: commonName, hosts: hosts, isCA: isCA,
                               notBefore: now - 3600, notAfter: now + Int64(days) * 86_400)
    }
}
