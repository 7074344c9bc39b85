/// A file operation that failed, naming the path, what was being done and why.
public struct FileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What was being done to the file.
    public enum Operation: String, Sendable {
        case open, read, write, sync, rename, create, remove, stat, list
        case createDirectory = "create directory"
    }

    /// The file or directory.
    public let path: String
    /// What was being done.
    public let operation: Operation
    /// The system's error, when a call failed.
    public let errno: Errno?
    /// Another reason (not a regular file, over a size limit, shrank while reading).
    public let detail: String?

    public init(path: String, operation: Operation, errno: Errno? = nil, detail: String? = nil) {
        self.path = path
        self.operation = operation
        self.errno = errno
        self.detail = detail
    }

    /// The reason alone, without the path ("No space left on device").
    public var reason: String {
        if let detail { return detail }
        if let errno { return errno.description }
        return "failed"
    }

    public var description: String {
        var text = "cannot \(operation.rawValue) \(path): \(reason)"
        if errno == .noSpace { text += Self.diskFullHint }
        return text
    }

    /// Appended to a failure with ENOSPC: what happened in words and what to do.
    public static let diskFullHint = " (the disk is full; free space and retry, the previous file is intact)"
}
