import Glibc

/// Whole-file reads and crash-safe replacement of small state files.
///
/// `write` puts the bytes in a temporary file next to the target, syncs it and renames it over the
/// target, so a reader (or a node restarting after a crash) sees either the old or the new content,
/// never a torn file.
enum AtomicFile {
    static func write(_ bytes: [UInt8], to path: String) throws(NodeError) {
        let temporary = "\(path).tmp.\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw .stateFile(path: temporary, operation: "create", errno: errno) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written)
            }
            if count < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(fd)
                unlink(temporary)
                throw .stateFile(path: temporary, operation: "write", errno: code)
            }
            written += count
        }
        if fsync(fd) != 0 {
            let code = errno
            close(fd)
            unlink(temporary)
            throw .stateFile(path: temporary, operation: "sync", errno: code)
        }
        close(fd)
        if rename(temporary, path) != 0 {
            let code = errno
            unlink(temporary)
            throw .stateFile(path: path, operation: "rename", errno: code)
        }
    }

    /// The file's bytes, or nil when it does not exist. Files above `limit` bytes are refused.
    static func read(_ path: String, limit: Int = 16 << 20) throws(NodeError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw .stateFile(path: path, operation: "open", errno: errno)
        }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .stateFile(path: path, operation: "read", errno: errno)
            }
            if count == 0 { return out }
            out.append(contentsOf: chunk[0..<count])
            if out.count > limit { throw .corruptStateFile(path: path, detail: "larger than \(limit) bytes") }
        }
    }

    /// Creates `path` (one level) if missing.
    static func makeDirectory(_ path: String) throws(NodeError) {
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw .stateFile(path: path, operation: "create directory", errno: errno)
        }
    }
}
