import SwarmBase
import COpenSSL
import Glibc

/// Outcome of one non-blocking TLS operation.
enum TLSStatus: Equatable {
    /// Transferred `count` bytes (or the handshake finished, count 0).
    case done(Int)
    case wantRead
    case wantWrite
    /// The peer sent close_notify or closed the socket.
    case closed
    case failed(String)
}

/// One TLS connection over a non-blocking socket (owns the SSL object, not the socket).
/// Used only from the event loop thread.
///
/// OpenSSL moves its ciphertext through `WireBIO`: it reads records from a `SocketInput`, which
/// `recv`s up to 256 KiB at a time, and writes them into a `WireBuffer` that this type drains to
/// the socket in large `send` calls (one syscall per ~256 KiB instead of one per 16 KiB record,
/// and no SIGPIPE: MSG_NOSIGNAL). Encrypted output waiting for the socket is bounded by
/// `wireLimit`: `write` accepts no more plaintext until it drains.
final class TLSSession {
    private let ssl: OpaquePointer
    private let fd: Int32
    /// Encrypted bytes not yet accepted by the socket, and those received not yet decrypted. The
    /// BIOs, owned by `ssl`, point at them unretained: `deinit` frees `ssl` before they are released.
    private let wire = WireBuffer()
    private let input: SocketInput
    private let wireLimit = 256 << 10

    init(context: TLSContext, fd: Int32, isServer: Bool) throws(TransportError) {
        guard let ssl = SSL_new(context.pointer) else {
            throw .tls("cannot create a TLS session: \(OpenSSLErrorQueue.drain())")
        }
        let input = SocketInput(fd: fd)
        guard let readBIO = context.wireBIO.makeInput(readingFrom: input) else {
            SSL_free(ssl)
            throw .tls("cannot create the TLS input: \(OpenSSLErrorQueue.drain())")
        }
        guard let writeBIO = context.wireBIO.makeOutput(writingTo: wire) else {
            BIO_free(readBIO)
            SSL_free(ssl)
            throw .tls("cannot create the TLS output: \(OpenSSLErrorQueue.drain())")
        }
        SSL_set_bio(ssl, readBIO, writeBIO)
        self.ssl = ssl
        self.fd = fd
        self.input = input
        if isServer { SSL_set_accept_state(ssl) } else { SSL_set_connect_state(ssl) }
    }

    deinit { SSL_free(ssl) }

    /// Encrypted output is still waiting for the socket.
    var hasPendingOutput: Bool { wire.pendingCount > 0 }

    func handshake() -> TLSStatus {
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        let status = result == 1 ? .done(0) : status(for: result, operation: "TLS handshake")
        if case .failed(let detail) = flushOutput() { return .failed(detail) }
        return status
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> TLSStatus {
        ERR_clear_error()
        var count = 0
        let result = SSL_read_ex(ssl, buffer.baseAddress, buffer.count, &count)
        let status = result == 1 ? .done(count) : status(for: result, operation: "TLS read")
        // Reading can produce output (alerts, key updates).
        if wire.pendingCount > 0 { _ = flushOutput() }
        return status
    }

    /// Encrypts up to `wireLimit` bytes of `buffer`; `.wantWrite` while earlier output is still queued.
    func write(_ buffer: UnsafeRawBufferPointer) -> TLSStatus {
        switch flushOutput() {
        case .failed(let detail): return .failed(detail)
        case .wantWrite: if wire.pendingCount >= wireLimit { return .wantWrite }
        default: break
        }
        ERR_clear_error()
        var count = 0
        let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<min(buffer.count, wireLimit)])
        let result = SSL_write_ex(ssl, chunk.baseAddress, chunk.count, &count)
        guard result == 1 else { return status(for: result, operation: "TLS write") }
        if case .failed(let detail) = flushOutput() { return .failed(detail) }
        return .done(count)
    }

    /// Queues close_notify (once); failures are ignored since the socket closes next anyway.
    func shutdown() {
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
        _ = flushOutput()
    }

    /// Moves encrypted output to the socket: `.done` when all is out, `.wantWrite` when the socket is full.
    @discardableResult
    func flushOutput() -> TLSStatus {
        while wire.pendingCount > 0 {
            let pending = wire.pending
            let result = retryingOnInterrupt {
                send(fd, pending.baseAddress, pending.count, Int32(MSG_NOSIGNAL))
            }
            switch result {
            case .success(let sent):
                wire.consume(sent)
            case .failure(let error):
                if error == .wouldBlock || error.rawValue == EWOULDBLOCK { return .wantWrite }
                return .failed("send: \(error)")
            }
        }
        return .done(0)
    }

    /// Id of the verified peer, from the certificate TLS checked against the swarm CA.
    func verifiedPeerID() throws(TransportError) -> NodeID {
        guard SSL_get_verify_result(ssl) == X509_V_OK else {
            throw .tls("peer certificate not verified: \(verifyError)")
        }
        guard let peer = SSL_get1_peer_certificate(ssl) else {
            throw .tls("peer presented no certificate")
        }
        let certificate = Certificate(owning: peer)
        do {
            return try certificate.nodeID
        } catch {
            throw .tls("cannot derive the peer's node id: \(error)")
        }
    }

    private var verifyError: String {
        String(cString: X509_verify_cert_error_string(Int(SSL_get_verify_result(ssl))))
    }

    private func status(for result: Int32, operation: String) -> TLSStatus {
        let code = SSL_get_error(ssl, result)
        switch code {
        case SSL_ERROR_WANT_READ:
            return .wantRead
        case SSL_ERROR_WANT_WRITE:
            return .wantWrite
        case SSL_ERROR_ZERO_RETURN:
            return .closed
        case SSL_ERROR_SYSCALL:
            let err = errno
            let detail = OpenSSLErrorQueue.drain()
            if err == 0 || err == EPIPE || err == ECONNRESET {
                return operation == "TLS handshake"
                    ? .failed("\(operation): connection closed by peer (\(err == 0 ? "EOF" : String(cString: strerror(err))))")
                    : .closed
            }
            return .failed("\(operation): \(String(cString: strerror(err))) \(detail)")
        default:
            var detail = OpenSSLErrorQueue.drain()
            let verify = SSL_get_verify_result(ssl)
            if verify != X509_V_OK {
                detail += " (peer certificate: \(verifyError))"
            }
            if detail.contains("unexpected eof") && operation != "TLS handshake" { return .closed }
            return .failed("\(operation) failed: \(detail)")
        }
    }
}
