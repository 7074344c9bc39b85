#if canImport(Glibc)
import Glibc
#endif

/// A failed file operation; callers wrap it into their own error with the file's role.
enum FileIOFailure: Error, Equatable {
    case system(String)
    case tooLarge(size: Int)

    var reason: String {
        switch self {
        case .system(let reason): return reason
        case .tooLarge(let size): return "file is \(size) bytes, too large"
        }
    }

    static func errno(_ what: String) -> FileIOFailure {
        .system("\(what): \(String(cString: strerror(Glibc.errno)))")
    }
}

/// Whole-file reads and atomic whole-file writes with plain POSIX calls.
enum FileIO {
    /// Reads a regular file completely. The size comes from `fstat` and is checked against
    /// `limit` before anything is allocated.
    static func readAll(_ path: String, limit: Int) throws(FileIOFailure) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .errno("open") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .errno("stat") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .system("not a regular file") }
        let size = Int(info.st_size)
        guard size <= limit else { throw .tooLarge(size: size) }
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        let failure: FileIOFailure? = bytes.withUnsafeMutableBytes { buffer in
            while filled < size {
                let n = read(fd, buffer.baseAddress! + filled, size - filled)
                if n < 0 {
                    if Glibc.errno == EINTR { continue }
                    return .errno("read")
                }
                if n == 0 { return .system("file shrank while reading (\(filled) of \(size) bytes)") }
                filled += n
            }
            return nil
        }
        if let failure { throw failure }
        return bytes
    }

    /// Writes `bytes` to a temporary file next to `path`, fsyncs it, renames it over `path` and
    /// fsyncs the directory: readers see the old file or the complete new one, never a part.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(FileIOFailure) {
        let tmp = path + ".partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try writeDurably(bytes, to: tmp)
        guard rename(tmp, path) == 0 else {
            let failure = FileIOFailure.errno("rename")
            unlink(tmp)
            throw failure
        }
        syncDirectory(containing: path)
    }

    /// Creates (or truncates) `path`, writes `bytes` and fsyncs; removes the file on failure.
    static func writeDurably(_ bytes: [UInt8], to path: String) throws(FileIOFailure) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .errno("open") }
        var written = 0
        let failure: FileIOFailure? = bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let n = write(fd, buffer.baseAddress! + written, buffer.count - written)
                if n < 0 {
                    if Glibc.errno == EINTR { continue }
                    return .errno("write")
                }
                written += n
            }
            return fsync(fd) == 0 ? nil : .errno("fsync")
        }
        close(fd)
        if let failure {
            unlink(path)
            throw failure
        }
    }

    /// Best-effort fsync of the directory holding `path`, so a rename survives a crash.
    static func syncDirectory(containing path: String) {
        syncDirectory(parent(of: path))
    }

    static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let head = path[..<slash]
        return head.isEmpty ? "/" : String(head)
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    enum EntryKind { case missing, file, directory, other }

    static func kind(of path: String) -> EntryKind {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// The names in a directory (without "." and ".."), or nil if it cannot be listed.
    static func entries(of directory: String) -> [String]? {
        guard let dir = opendir(directory) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
