import Glibc
import SwarmBase

/// The key and certificate files of a swarm directory, through `FileIO`, with failures reported as
/// `CertificateError` (an existing file is `alreadyExists`, a missing one `missing`).
enum PEMFile {
    /// Largest PEM file read: certificates and keys are a few KiB.
    static let sizeLimit = 1 << 20

    static func read(_ path: String) throws(CertificateError) -> [UInt8] {
        do { return try FileIO.readAll(path, limit: sizeLimit) } catch { throw CertificateError(error) }
    }

    /// Creates `path` with `mode` given at creation (0600 keeps a key private from the first
    /// byte) and writes `bytes` durably; an existing file is refused, never replaced.
    static func create(_ bytes: [UInt8], at path: String, mode: mode_t) throws(CertificateError) {
        do { try FileIO.writeDurably(bytes, to: path, mode: mode, exclusive: true) } catch { throw CertificateError(error) }
    }

    /// Creates a directory (and its parents) when missing.
    static func makeDirectory(_ path: String) throws(CertificateError) {
        do { try FileIO.makeDirectories(path, mode: 0o755) } catch { throw CertificateError(error) }
    }
}
