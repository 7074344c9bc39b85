#if canImport(Glibc)
import Glibc
#endif
import SwarmBase

/// An exclusive `flock` on a file in the state directory, held while a node has its database
/// open for writing: a second node started on the same directory is refused instead of
/// interleaving its rounds with the first one's. Released when the process exits, however it exits.
final class DirectoryLock: Sendable {
    private let descriptor: Int32

    init(path: String) throws(StoreError) {
        let fd: Int32
        switch retryingOnInterrupt({ open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) }) {
        case .success(let value): fd = value
        case .failure(let e): throw .file(FileError(path: path, operation: .open, errno: e))
        }
        if case .failure(let e) = retryingOnInterrupt({ flock(fd, LOCK_EX | LOCK_NB) }) {
            close(fd)
            if e == .wouldBlock { throw .locked(path: FileIO.parent(of: path)) }
            throw .file(FileError(path: path, operation: .open, errno: e, detail: "cannot lock: \(e)"))
        }
        descriptor = fd
    }

    deinit { close(descriptor) }
}
