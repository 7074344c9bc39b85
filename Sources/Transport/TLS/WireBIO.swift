import COpenSSL
import Glibc

/// The BIO types TLS sessions move their ciphertext through, instead of OpenSSL's socket BIO and
/// read-ahead (see `WireBuffer` for why):
/// - output: each `BIO_write` (one sealed record) is appended to the session's `WireBuffer`, which
///   the session drains to the socket in large `send` calls;
/// - input: each `BIO_read` takes bytes from the session's `SocketInput`, which `recv`s the socket
///   in large reads and says "retry" when it would block, as a socket BIO does.
/// The BIO's data is its buffer, unretained: a session holds the buffers and frees its SSL object
/// (which owns the BIOs) first.
///
/// One per `TLSContext`, freed with it; sessions made from a context never outlive it.
final class WireBIO: @unchecked Sendable {
    /// The method tables; immutable once made, so sessions on any thread may use them.
    private let output: OpaquePointer
    private let input: OpaquePointer

    init() throws(CertificateError) {
        // The type only serves BIO_find_type, which nothing here calls; a fresh index per context
        // (BIO_get_new_index) would run OpenSSL's 8-bit index space out in a long test run.
        guard let output = BIO_meth_new(BIO_TYPE_SOURCE_SINK, "swarmtune wire out") else {
            throw .openSSL(operation: "create the TLS output BIO type", detail: OpenSSLErrorQueue.drain())
        }
        guard let input = BIO_meth_new(BIO_TYPE_SOURCE_SINK, "swarmtune wire in") else {
            BIO_meth_free(output)
            throw .openSSL(operation: "create the TLS input BIO type", detail: OpenSSLErrorQueue.drain())
        }
        let create: @convention(c) (OpaquePointer?) -> Int32 = { bio in
            BIO_set_init(bio, 1)
            return 1
        }
        let destroy: @convention(c) (OpaquePointer?) -> Int32 = { bio in
            BIO_set_data(bio, nil)
            return 1
        }
        let ok = BIO_meth_set_write(output, { bio, data, length in
            guard let bio, let data, length >= 0, let context = BIO_get_data(bio) else { return -1 }
            let wire = Unmanaged<WireBuffer>.fromOpaque(context).takeUnretainedValue()
            guard wire.append(data, count: Int(length)) else {
                errno = ENOMEM  // reported by the failed TLS write
                return -1
            }
            return length
        }) == 1 && BIO_meth_set_ctrl(output, { bio, command, _, _ in
            switch command {
            case BIO_CTRL_FLUSH:
                // Records are in the buffer; the session sends them when the socket takes them.
                return 1
            case BIO_CTRL_WPENDING:
                guard let bio, let context = BIO_get_data(bio) else { return 0 }
                return Unmanaged<WireBuffer>.fromOpaque(context).takeUnretainedValue().pendingCount
            default:
                return 0
            }
        }) == 1 && BIO_meth_set_read(input, { bio, data, length in
            guard let bio, let data, length >= 0, let context = BIO_get_data(bio) else { return -1 }
            BIO_clear_flags(bio, BIO_FLAGS_READ | BIO_FLAGS_WRITE | BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY)
            let socket = Unmanaged<SocketInput>.fromOpaque(context).takeUnretainedValue()
            switch socket.read(into: data, count: Int(length)) {
            case .bytes(let count):
                return Int32(count)
            case .wouldBlock:
                BIO_set_flags(bio, BIO_FLAGS_READ | BIO_FLAGS_SHOULD_RETRY)
                return -1
            case .endOfStream:
                return 0
            case .failed(let code):
                errno = code  // reported by the failed TLS read
                return -1
            }
        }) == 1 && BIO_meth_set_ctrl(input, { bio, command, _, _ in
            switch command {
            case BIO_CTRL_FLUSH:
                return 1
            case BIO_CTRL_PENDING:
                guard let bio, let context = BIO_get_data(bio) else { return 0 }
                return Unmanaged<SocketInput>.fromOpaque(context).takeUnretainedValue().bufferedCount
            default:
                return 0
            }
        }) == 1
            && BIO_meth_set_create(output, create) == 1 && BIO_meth_set_destroy(output, destroy) == 1
            && BIO_meth_set_create(input, create) == 1 && BIO_meth_set_destroy(input, destroy) == 1
        guard ok else {
            BIO_meth_free(output)
            BIO_meth_free(input)
            throw .openSSL(operation: "set up the TLS BIO types", detail: OpenSSLErrorQueue.drain())
        }
        self.output = output
        self.input = input
    }

    deinit {
        BIO_meth_free(output)
        BIO_meth_free(input)
    }

    /// A BIO that appends what it is given to `wire`; the caller keeps `wire` alive for as long
    /// as the BIO.
    func makeOutput(writingTo wire: WireBuffer) -> OpaquePointer? {
        guard let bio = BIO_new(output) else { return nil }
        BIO_set_data(bio, Unmanaged.passUnretained(wire).toOpaque())
        return bio
    }

    /// A BIO that reads through `socket`; the caller keeps `socket` alive for as long as the BIO.
    func makeInput(readingFrom socket: SocketInput) -> OpaquePointer? {
        guard let bio = BIO_new(input) else { return nil }
        BIO_set_data(bio, Unmanaged.passUnretained(socket).toOpaque())
        return bio
    }
}
