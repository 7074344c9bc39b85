import Glibc

/// Whole-file reads and writes with explicit creation modes.
enum SecureFile {
    /// Creates `path` with `mode` (e.g. 0o600 for private keys) and writes `bytes`.
    ///
    /// The mode is given to open(2) at creation, so a key is never readable by others, even briefly.
    /// With `exclusive`, an existing file is an error rather than silently replaced.
    static func write(_ bytes: [UInt8], to path: String, mode: mode_t, exclusive: Bool) throws(CertificateError) {
        var flags = O_WRONLY | O_CREAT | O_CLOEXEC
        flags |= exclusive ? O_EXCL : O_TRUNC
        let fd = open(path, flags, mode)
        if fd < 0 {
            let code = errno
            if code == EEXIST { throw .alreadyExists(path: path) }
            throw .io(path: path, operation: "create", errno: code)
        }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, operation: "write", errno: errno)
            }
            written += n
        }
        if fsync(fd) != 0 { throw .io(path: path, operation: "sync", errno: errno) }
    }

    static func read(_ path: String, limit: Int = 1 << 20) throws(CertificateError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            if code == ENOENT { throw .missing(path: path) }
            throw .io(path: path, operation: "open", errno: code)
        }
        defer { close(fd) }
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 16384)
        while out.count <= limit {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, operation: "read", errno: errno)
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    static func makeDirectory(_ path: String, mode: mode_t) throws(CertificateError) {
        if mkdir(path, mode) != 0 && errno != EEXIST {
            throw .io(path: path, operation: "create directory", errno: errno)
        }
    }

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }
}
