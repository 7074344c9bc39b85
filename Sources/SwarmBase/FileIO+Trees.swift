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

    /// Puts the directory `staging` at `target` (same file system) and returns where the old
    /// `target` now is, for the caller to delete (nil when there was none). With an atomic
    /// exchange (renameat2 RENAME_EXCHANGE, where the kernel and file system offer it) `target`
    /// is a complete directory at every instant, so a process killed while replacing it leaves
    /// the old or the new one; otherwise the old one is moved aside first, so `target` is briefly
    /// absent but never partial, and is put back if the second rename fails.
    public static func replaceDirectory(_ target: String, with staging: String) throws(FileError) -> String? {
        if kind(of: target) == .missing {
            try move(staging, to: target)
            return nil
        }
        if let exchange = renameAt2(), exchange(AT_FDCWD, target, AT_FDCWD, staging, renameExchange) == 0 {
            syncDirectory(containing: target)
            return staging
        }
        let aside = staging + ".old"
        guard Glibc.rename(target, aside) == 0 else {
            throw FileError(path: target, operation: .rename, errno: .current, detail: "cannot move the old directory aside")
        }
        guard Glibc.rename(staging, target) == 0 else {
            let failure = FileError(path: target, operation: .rename, errno: .current)
            _ = Glibc.rename(aside, target)
            throw failure
        }
        syncDirectory(containing: target)
        return aside
    }

    private typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
    private static let renameExchange: UInt32 = 1 << 1

    private static func renameAt2() -> RenameAt2? {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return nil }
        return unsafeBitCast(symbol, to: RenameAt2.self)
    }
}
