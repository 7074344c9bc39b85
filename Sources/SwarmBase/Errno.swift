#if canImport(Glibc)
import Glibc
#endif

/// A POSIX error number, as a typed error with the system's message.
///
/// System calls go through `retryingOnInterrupt` (or `valueOrErrno`), so no caller writes its
/// own EINTR loop and every failure keeps its code.
public struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
    /// The errno value.
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The calling thread's current errno.
    public static var current: Errno { Errno(rawValue: errno) }

    /// The system's message for this code ("No space left on device").
    public var description: String { String(cString: strerror(rawValue)) }

    public static let interrupted = Errno(rawValue: EINTR)
    public static let noSuchFile = Errno(rawValue: ENOENT)
    public static let fileExists = Errno(rawValue: EEXIST)
    public static let wouldBlock = Errno(rawValue: EAGAIN)
    public static let noSpace = Errno(rawValue: ENOSPC)
    public static let notDirectory = Errno(rawValue: ENOTDIR)
    public static let isDirectory = Errno(rawValue: EISDIR)
    public static let permissionDenied = Errno(rawValue: EACCES)
}

/// `value`, or the current errno when it is -1 (the system-call convention).
@inlinable
public func valueOrErrno<I: FixedWidthInteger>(_ value: I) -> Result<I, Errno> {
    value == -1 ? .failure(Errno.current) : .success(value)
}

/// Runs a system call until it does not fail with EINTR; returns its result or its errno.
@inlinable
public func retryingOnInterrupt<I: FixedWidthInteger>(_ call: () -> I) -> Result<I, Errno> {
    while true {
        let result = valueOrErrno(call())
        if case .failure(let e) = result, e == .interrupted { continue }
        return result
    }
}
