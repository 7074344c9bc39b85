#if canImport(Glibc)
import Glibc
#endif

/// Whole-file reads and crash-safe whole-file writes with plain POSIX calls: the one place the
/// project writes files.
///
/// `writeAtomically` puts the bytes in a temporary file beside the target, fsyncs it, renames it
/// over the target and fsyncs the directory: a reader, or a process restarting after a crash or
/// power loss, sees the old file or the complete new one, never a part. When the disk is full the
/// old file is left as it was and the temporary is removed.
public enum FileIO {
    /// Reads a regular file completely. The size comes from `fstat` and is checked against
    /// `limit` before anything is allocated.
    public static func readAll(_ path: String, limit: Int) throws(FileError) -> [UInt8] {
        let fd = try open(path, O_RDONLY | O_CLOEXEC, operation: .open)
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileError(path: path, operation: .stat, errno: .current) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw FileError(path: path, operation: .read, detail: "not a regular file")
        }
        let size = Int(info.st_size)
        guard size <= limit else {
            throw FileError(path: path, operation: .read, detail: "file is \(size) bytes, over the limit of \(limit)")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        let failure: FileError? = bytes.withUnsafeMutableBytes { buffer in
            while filled < size {
                switch retryingOnInterrupt({ Glibc.read(fd, buffer.baseAddress! + filled, size - filled) }) {
                case .failure(let e): return FileError(path: path, operation: .read, errno: e)
                case .success(0): return FileError(path: path, operation: .read, detail: "file shrank while reading (\(filled) of \(size) bytes)")
                case .success(let n): filled += n
                }
            }
            return nil
        }
        if let failure { throw failure }
        return bytes
    }

    /// Reads a file whose size is not known up front (procfs files such as /proc/cpuinfo report
    /// size 0, pipes have none) until end of file; more than `limit` bytes is an error.
    public static func readUntilEnd(_ path: String, limit: Int) throws(FileError) -> [UInt8] {
        let fd = try open(path, O_RDONLY | O_CLOEXEC, operation: .open)
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let result = chunk.withUnsafeMutableBytes { buffer in
                retryingOnInterrupt { Glibc.read(fd, buffer.baseAddress!, buffer.count) }
            }
            switch result {
            case .failure(let e): throw FileError(path: path, operation: .read, errno: e)
            case .success(0): return bytes
            case .success(let n):
                guard bytes.count + n <= limit else {
                    throw FileError(path: path, operation: .read, detail: "more than the limit of \(limit) bytes")
                }
                bytes += chunk[0..<n]
            }
        }
    }

    /// The file's bytes, or nil when it does not exist.
    public static func readIfPresent(_ path: String, limit: Int) throws(FileError) -> [UInt8]? {
        do {
            return try readAll(path, limit: limit)
        } catch where error.errno == .noSuchFile {
            return nil
        }
    }

    /// Replaces `path` with `bytes` atomically and durably (see the type's comment).
    public static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(FileError) {
        let temporary = path + ".partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try writeDurably(bytes, to: temporary, mode: mode, exclusive: true)
        } catch {
            // Name the file the caller asked for: the temporary is an implementation detail.
            throw FileError(path: path, operation: error.operation, errno: error.errno, detail: error.detail)
        }
        if rename(temporary, path) != 0 {
            let failure = FileError(path: path, operation: .rename, errno: .current)
            unlink(temporary)
            throw failure
        }
        syncDirectory(containing: path)
    }

    /// Creates `path` with `mode` given to open(2) (so a private key is never readable by others,
    /// even briefly), writes `bytes`, fsyncs the file and its directory. With `exclusive`, an
    /// existing file is an error (`errno == .fileExists`) rather than replaced. The file is
    /// removed when any step fails.
    public static func writeDurably(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644, exclusive: Bool) throws(FileError) {
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC)
        let fd = try open(path, flags, mode: mode, operation: .create)
        var written = 0
        let failure: FileError? = bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                switch retryingOnInterrupt({ Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written) }) {
                case .failure(let e): return FileError(path: path, operation: .write, errno: e)
                case .success(let n): written += n
                }
            }
            return fsync(fd) == 0 ? nil : FileError(path: path, operation: .sync, errno: .current)
        }
        close(fd)
        if let failure {
            unlink(path)
            throw failure
        }
        syncDirectory(containing: path)
    }

    /// Creates `path` and every missing parent (like `mkdir -p`); an existing directory is fine.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(FileError) {
        if kind(of: path) == .directory { return }
        let parentPath = parent(of: path)
        if parentPath != path && parentPath != "." && parentPath != "/" && kind(of: parentPath) == .missing {
            try makeDirectories(parentPath, mode: mode)
        }
        if mkdir(path, mode) != 0 {
            let e = Errno.current
            if e == .fileExists && kind(of: path) == .directory { return }
            throw FileError(path: path, operation: .createDirectory, errno: e,
                            detail: e == .fileExists ? "exists and is not a directory" : nil)
        }
    }

    /// Removes a file; a missing one is fine.
    public static func remove(_ path: String) throws(FileError) {
        if unlink(path) != 0 && Errno.current != .noSuchFile {
            throw FileError(path: path, operation: .remove, errno: .current)
        }
    }

    /// Best-effort fsync of the directory holding `path`, so a rename or create survives a crash.
    public static func syncDirectory(containing path: String) {
        let fd = Glibc.open(parent(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    /// What a path names, without following a final symbolic link.
    public enum EntryKind: Sendable { case missing, file, directory, other }

    public static func kind(of path: String) -> EntryKind {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// Whether anything exists at `path`.
    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// The names in a directory (without "." and ".."), sorted.
    public static func entries(of directory: String) throws(FileError) -> [String] {
        guard let dir = opendir(directory) else { throw FileError(path: directory, operation: .list, errno: .current) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// The directory part of `path` ("." when there is none).
    public static func parent(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        let head = trimmed[..<slash]
        return head.isEmpty ? "/" : String(head)
    }

    /// `directory/name`, with exactly one slash between them.
    public static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    private static func open(_ path: String, _ flags: Int32, mode: mode_t = 0, operation: FileError.Operation) throws(FileError) -> Int32 {
        switch retryingOnInterrupt({ Glibc.open(path, flags, mode) }) {
        case .success(let fd): return fd
        case .failure(let e): throw FileError(path: path, operation: operation, errno: e)
        }
    }
}
