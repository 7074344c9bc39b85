import SwarmBase
import COpenSSL
import COpenSSLShims
import Foundation
import Glibc
@testable import Transport

/// A blocking TCP client with receive/send timeouts, for hostile and plaintext tests.
final class RawSocket {
    let fd: Int32

    init(connectingTo address: String, timeout: Duration = .seconds(3)) throws {
        let resolved = try SocketAddress(parsing: address)
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TransportError.socket(operation: "socket", errno: errno) }
        var tv = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let status = resolved.withSockaddr { Glibc.connect(fd, $0, $1) }
        guard status == 0 else {
            let code = errno
            Glibc.close(fd)
            throw TransportError.socket(operation: "connect", errno: code)
        }
    }

    deinit { Glibc.close(fd) }

    @discardableResult
    func send(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Reads until EOF, error or timeout; returns the bytes and whether the peer closed (EOF or reset).
    func readUntilClosed(limit: Int = 1 << 20) -> (bytes: [UInt8], closed: Bool) {
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while out.count < limit {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { out.append(contentsOf: chunk[0..<n]); continue }
            if n == 0 { return (out, true) }
            if errno == EINTR { continue }
            return (out, errno == ECONNRESET || errno == EPIPE)
        }
        return (out, false)
    }
}

/// A blocking TLS client over `RawSocket`, driving OpenSSL directly, so tests can speak
/// arbitrary bytes after (or instead of) a proper handshake.
final class RawTLSClient {
    let socket: RawSocket
    private let context: OpaquePointer
    private let ssl: OpaquePointer
    /// OpenSSL's error text if the handshake failed.
    private(set) var handshakeError: String?

    /// - Parameter maxVersion: e.g. TLS1_2_VERSION for a client that cannot speak TLS 1.3.
    init(connectingTo address: String, identity: TLSIdentity, maxVersion: Int32 = TLS1_3_VERSION) throws {
        socket = try RawSocket(connectingTo: address)
        context = SSL_CTX_new(TLS_method())!
        _ = swarm_SSL_CTX_set_max_proto_version(context, maxVersion)
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        X509_STORE_add_cert(SSL_CTX_get_cert_store(context), identity.trustedCA.pointer)
        SSL_CTX_use_certificate(context, identity.certificate.pointer)
        SSL_CTX_use_PrivateKey(context, identity.key.pointer)
        ssl = SSL_new(context)!
        SSL_set_fd(ssl, socket.fd)
        ERR_clear_error()
        if SSL_connect(ssl) != 1 {
            handshakeError = OpenSSLErrorQueue.drain()
        }
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
    }

    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var written = 0
            return SSL_write_ex(ssl, raw.baseAddress, raw.count, &written) == 1
        }
    }

    /// Reads decrypted bytes until close, error or timeout. `error` carries OpenSSL's reason
    /// (e.g. an alert the server sent) when the stream ended with one.
    func readAll(limit: Int = 1 << 20) -> (bytes: [UInt8], closed: Bool, error: String?) {
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 16384)
        while out.count < limit {
            ERR_clear_error()
            var count = 0
            let ok = chunk.withUnsafeMutableBytes { SSL_read_ex(ssl, $0.baseAddress, $0.count, &count) }
            if ok == 1 { out.append(contentsOf: chunk[0..<count]); continue }
            let code = SSL_get_error(ssl, 0)
            if code == SSL_ERROR_ZERO_RETURN { return (out, true, nil) }
            let detail = OpenSSLErrorQueue.drain()
            let timedOut = code == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK)
            return (out, !timedOut, detail)
        }
        return (out, false, nil)
    }

    /// Sends our half of the goodbye.
    func shutdown() { _ = SSL_shutdown(ssl) }
}

/// Decodes every complete frame in `bytes` (stops at the first error).
func frames(in bytes: [UInt8]) -> [Frame] {
    var decoder = FrameDecoder()
    decoder.feed(bytes)
    var out = [Frame]()
    while let frame = try? decoder.nextFrame() { out.append(frame) }
    return out
}

func reasonCode(in bytes: [UInt8]) -> ReasonCode? {
    for frame in frames(in: bytes) {
        if case .reason(let reason) = frame { return reason.code }
    }
    return nil
}
