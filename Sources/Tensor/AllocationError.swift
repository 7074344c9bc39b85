/// A buffer that could not be allocated: the machine has not that much memory to give (or the
/// size overflows). Thrown by `FloatBuffer(count:)`; the session or command that asked wraps it
/// with the flag or file field the size came from, so the user knows what to make smaller.
public struct AllocationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Floats asked for.
    public var count: Int
    /// Bytes asked of the system, nil when the size could not even be computed.
    public var bytes: Int?
    /// The system's reason (strerror), or why the size is impossible.
    public var reason: String

    public init(count: Int, bytes: Int?, reason: String) {
        self.count = count
        self.bytes = bytes
        self.reason = reason
    }

    public var description: String {
        guard let bytes else { return "cannot allocate \(count) floats: \(reason)" }
        return "cannot allocate \(bytes >> 20) MiB (\(count) floats): \(reason)"
    }
}
