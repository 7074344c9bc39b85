import SwarmBase
import Glibc

/// A resolved IPv4 or IPv6 socket address.
struct SocketAddress: Sendable, CustomStringConvertible {
    private var storage = sockaddr_storage()
    private(set) var length: socklen_t = 0

    var family: Int32 { Int32(storage.ss_family) }

    /// Resolves "host:port" or "[v6]:port" (getaddrinfo; may block on DNS for names).
    init(parsing address: String) throws(TransportError) {
        guard let colon = address.lastIndex(of: ":") else {
            throw .invalidAddress(address, detail: "expected host:port")
        }
        var host = String(address[..<colon])
        let portText = String(address[address.index(after: colon)...])
        guard let port = UInt16(portText) else { throw .invalidAddress(address, detail: "port must be 0-65535") }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { throw .invalidAddress(address, detail: "empty host") }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let first = result else {
            throw .invalidAddress(address, detail: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(result) }
        withUnsafeMutableBytes(of: &storage) { out in
            out.copyMemory(from: UnsafeRawBufferPointer(start: first.pointee.ai_addr, count: Int(first.pointee.ai_addrlen)))
        }
        length = first.pointee.ai_addrlen
    }

    /// The peer or local address of a socket.
    init?(peerOf fd: Int32, local: Bool = false) {
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                local ? getsockname(fd, $0, &len) : getpeername(fd, $0, &len)
            }
        }
        guard status == 0 else { return nil }
        length = len
    }

    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafePointer(to: storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }

    var port: UInt16 {
        withUnsafePointer(to: storage) { pointer in
            if family == AF_INET {
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
            }
            return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
        }
    }

    var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let text: String = withUnsafePointer(to: storage) { pointer in
            if family == AF_INET {
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    var addr = sin.pointee.sin_addr
                    inet_ntop(AF_INET, &addr, &buffer, socklen_t(buffer.count))
                    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                }
            }
            return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                var addr = sin6.pointee.sin6_addr
                inet_ntop(AF_INET6, &addr, &buffer, socklen_t(buffer.count))
                return "[" + String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "]"
            }
        }
        return "\(text):\(port)"
    }
}
