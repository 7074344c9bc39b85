#if canImport(Glibc)
import Glibc
#endif
import SwarmBase

/// A read-only memory mapping of a whole file. The mapping lives exactly as long as this object,
/// so every tensor view into a model is valid while its model holds on to the file.
public final class MappedFile: Sendable {
    public let path: String
    nonisolated(unsafe) private let base: UnsafeRawPointer?
    public let count: Int

    public init(path: String) throws(GGUFError) {
        self.path = path
        let fd: Int32
        switch retryingOnInterrupt({ open(path, O_RDONLY | O_CLOEXEC) }) {
        case .success(let opened): fd = opened
        case .failure(let e): throw .cannotOpen(path: path, reason: e.description)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .cannotOpen(path: path, reason: Errno.current.description) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw .cannotOpen(path: path, reason: "not a regular file") }
        count = Int(st.st_size)
        if count == 0 {
            base = nil
            return
        }
        let p = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else { throw .cannotOpen(path: path, reason: Errno.current.description) }
        base = UnsafeRawPointer(p)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }

    /// The file's bytes; valid while this object is alive.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Tells the kernel that the whole pages inside `range` (byte offsets in the file) will not be
    /// read soon, so they stop counting in this process's resident memory. Reading them later is
    /// still correct: a private read-only file mapping faults them back in from the file. For a
    /// tensor the kernels read from a copy (NF4 re-laid at load).
    public func releasePages(_ range: Range<Int>) {
        guard let base, range.lowerBound >= 0, range.upperBound <= count else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = (Int(bitPattern: base) + range.lowerBound + page - 1) / page * page
        let end = (Int(bitPattern: base) + range.upperBound) / page * page
        guard end > first, let start = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(start, end - first, MADV_DONTNEED)
    }
}
