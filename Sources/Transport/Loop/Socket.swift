import SwarmBase
import Glibc

/// Thin socket helpers for the event loop: every socket is non-blocking and close-on-exec.
enum Socket {
    static func listen(on address: SocketAddress, backlog: Int32) throws(TransportError) -> Int32 {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw .socket(operation: "socket", errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = address.withSockaddr { bind(fd, $0, $1) }
        if bound != 0 {
            let code = errno
            close(fd)
            throw .socket(operation: "bind \(address)", errno: code)
        }
        if Glibc.listen(fd, backlog) != 0 {
            let code = errno
            close(fd)
            throw .socket(operation: "listen", errno: code)
        }
        return fd
    }

    /// Starts a non-blocking connect; returns the socket and whether it is already connected.
    static func connect(to address: SocketAddress) throws(TransportError) -> (fd: Int32, connected: Bool) {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw .socket(operation: "socket", errno: errno) }
        setNoDelay(fd)
        let result = address.withSockaddr { Glibc.connect(fd, $0, $1) }
        if result == 0 { return (fd, true) }
        let code = errno
        if code == EINPROGRESS { return (fd, false) }
        close(fd)
        throw .socket(operation: "connect to \(address)", errno: code)
    }

    /// The pending error of a non-blocking connect (0 when it succeeded).
    static func pendingError(_ fd: Int32) -> Int32 {
        var code: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &len) != 0 { return errno }
        return code
    }

    static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }
}
