import SwarmBase
import Glibc

/// A self-pipe that wakes the event loop's poll() from other threads.
final class WakeSignal: Sendable {
    /// The end the loop polls.
    let fd: Int32
    private let writeEnd: Int32

    init() throws(TransportError) {
        var fds: [Int32] = [0, 0]
        if pipe(&fds) != 0 { throw .socket(operation: "pipe", errno: errno) }
        for end in fds {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        fd = fds[0]
        writeEnd = fds[1]
    }

    deinit {
        close(fd)
        close(writeEnd)
    }

    /// A full pipe already means "wake up", so a failed write is fine.
    func signal() {
        var one: UInt8 = 1
        _ = write(writeEnd, &one, 1)
    }

    func drain() {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(fd, &buffer, buffer.count) > 0 {}
    }
}
