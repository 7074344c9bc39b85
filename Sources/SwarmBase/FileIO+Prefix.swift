#if canImport(Glibc)
import Glibc
#endif

extension FileIO {
    /// The first `count` bytes of a file (fewer when it is shorter): a header check that does
    /// not read, or trust the size of, the rest.
    public static func readPrefix(_ path: String, count: Int) throws(FileError) -> [UInt8] {
        let fd: Int32
        switch retryingOnInterrupt({ Glibc.open(path, O_RDONLY | O_CLOEXEC) }) {
        case .success(let value): fd = value
        case .failure(let e): throw FileError(path: path, operation: .open, errno: e)
        }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        let failure: Errno? = bytes.withUnsafeMutableBytes { buffer in
            while filled < count {
                switch retryingOnInterrupt({ Glibc.read(fd, buffer.baseAddress! + filled, count - filled) }) {
                case .failure(let e): return e
                case .success(0): return nil
                case .success(let n): filled += n
                }
            }
            return nil
        }
        if let failure { throw FileError(path: path, operation: .read, errno: failure) }
        return Array(bytes.prefix(filled))
    }
}
