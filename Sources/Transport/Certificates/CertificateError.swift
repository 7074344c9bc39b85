import SwarmBase

/// Failures while creating, writing or loading keys and certificates.
public enum CertificateError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An OpenSSL call failed; `detail` is OpenSSL's own message.
    case openSSL(operation: String, detail: String)
    /// A file could not be read or written.
    case file(FileError)
    /// A file that must not be overwritten already exists (private keys, the CA).
    case alreadyExists(path: String)
    /// A required file is missing.
    case missing(path: String)
    /// A node name that is not usable as a file name.
    case invalidName(String)
    /// A host that is neither an IP literal nor a DNS name.
    case invalidHost(String)
    /// A validity window that ends before it starts.
    case invalidValidity(notBefore: Int64, notAfter: Int64)
    /// A file that does not contain the expected PEM object.
    case invalidPEM(path: String, expected: String)

    public var description: String {
        switch self {
        case let .openSSL(operation, detail):
            return "OpenSSL failed to \(operation): \(detail)"
        case let .file(error):
            return error.description
        case let .alreadyExists(path):
            return "\(path) already exists; refusing to overwrite it (move it away first)"
        case let .missing(path):
            return "\(path) does not exist (run `swarmtune certs init` / `certs issue NAME` first)"
        case let .invalidName(name):
            return "node name '\(name)' must be 1-64 characters of letters, digits, '.', '_' or '-', not starting with '.'"
        case let .invalidHost(host):
            return "host '\(host)' is neither an IP address nor a DNS name"
        case let .invalidValidity(notBefore, notAfter):
            return "certificate validity ends (\(notAfter)) before it starts (\(notBefore))"
        case let .invalidPEM(path, expected):
            return "\(path) does not contain a PEM \(expected)"
        }
    }
}

extension CertificateError {
    /// A file failure as a certificate error: an existing file refused by an exclusive create is
    /// `alreadyExists`, a file that cannot be opened because it is not there is `missing`.
    public init(_ error: FileError) {
        if error.errno == .fileExists && error.operation == .create {
            self = .alreadyExists(path: error.path)
        } else if error.errno == .noSuchFile && error.operation == .open {
            self = .missing(path: error.path)
        } else {
            self = .file(error)
        }
    }

}
