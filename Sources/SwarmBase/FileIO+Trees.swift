#if canImport(Glibc)
import Glibc
#endif

extension FileIO {
    /// Removes `path` and, when it is a directory, everything under it (like `rm -rf`, without
    /// following symbolic links); a missing path is fine.
    public static func removeTree(_ path: String) throws(FileError) {
        switch kind(of: path) {
        case .missing:
            return
        case .directory:
            for name in try entries(of: path) { try removeTree(join(path, name)) }
            if rmdir(path) != 0 && Errno.current != .noSuchFile {
                throw FileError(path: path, operation: .remove, errno: .current)
            }
        case .file, .other:
            try remove(path)
        }
    }

    /// Renames `source` to `destination` (same file system), replacing a file there, and syncs
    /// the directory so the rename survives a crash.
    public static func move(_ source: String, to destination: String) throws(FileError) {
        guard Glibc.rename(source, destination) == 0 else {
            throw FileError(path: destination, operation: .rename, errno: .current, detail: nil)
        }
        syncDirectory(containing: destination)
    }
}
