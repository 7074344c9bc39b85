#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A small tmpfs mounted on a fresh directory: a real full disk for the tests of writers (it
/// needs root and a kernel that lets this process mount; `available` says whether it can).
/// Unmounted and removed when released.
public final class SmallTmpfs {
    /// Whether this process can mount one (probed once with a 64 KB mount).
    public static let available: Bool = {
        guard getuid() == 0 else { return false }
        let probe = scratch("probe")
        defer { rmdir(probe) }
        guard mount("tmpfs", probe, "tmpfs", 0, "size=64k") == 0 else { return false }
        return umount(probe) == 0
    }()

    /// The mount point.
    public let path: String

    /// Mounts a tmpfs of `size` (mount's syntax: "64k", "1m").
    public init(size: String) throws {
        path = Self.scratch("full")
        guard mount("tmpfs", path, "tmpfs", 0, "size=\(size)") == 0 else {
            let code = errno
            rmdir(path)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EPERM)
        }
    }

    /// Creates `path` and writes zeros into it until the disk is full, so that the next write of
    /// any size fails with ENOSPC. Throws when the write fails for another reason.
    public static func fill(_ path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        let block = [UInt8](repeating: 0, count: 4096)
        while true {
            // Blocks first, then single bytes, so not even a byte is left.
            let n = block.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n > 0 { continue }
            guard errno == ENOSPC else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            if block.withUnsafeBytes({ write(fd, $0.baseAddress, 1) }) <= 0 { break }
        }
        guard errno == ENOSPC else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    deinit {
        if umount(path) != 0 { umount2(path, Int32(MNT_DETACH)) }
        rmdir(path)
    }

    private static func scratch(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("swarmtune-tmpfs-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}
