import SwarmBase
import Glibc

/// The read side of one TLS session: ciphertext `recv`d from a non-blocking socket in large reads
/// and handed to OpenSSL record by record through `WireBIO`'s input BIO (see `WireBuffer`).
/// Used only from the session's event loop thread.
final class SocketInput {
    enum ReadResult: Equatable {
        case bytes(Int)
        /// The socket has nothing now.
        case wouldBlock
        /// The peer closed its side.
        case endOfStream
        case failed(Int32)
    }

    private let fd: Int32
    private let buffer = WireBuffer()
    /// Room asked for before each `recv` (which fills all the buffer's room, at least this).
    private let chunk: Int

    init(fd: Int32, chunk: Int = 256 << 10) {
        self.fd = fd
        self.chunk = chunk
    }

    /// Ciphertext received and not yet taken by OpenSSL.
    var bufferedCount: Int { buffer.pendingCount }

    /// Copies up to `count` bytes to `destination`, reading the socket first when nothing is buffered.
    func read(into destination: UnsafeMutableRawPointer, count: Int) -> ReadResult {
        guard count > 0 else { return .bytes(0) }
        if buffer.pendingCount == 0 {
            guard let room = buffer.reserve(chunk) else { return .failed(ENOMEM) }
            let result = retryingOnInterrupt { recv(fd, room.baseAddress, room.count, 0) }
            switch result {
            case .success(0):
                return .endOfStream
            case .success(let received):
                buffer.commit(received)
            case .failure(let error):
                if error == .wouldBlock || error.rawValue == EWOULDBLOCK { return .wouldBlock }
                return .failed(error.rawValue)
            }
        }
        return .bytes(buffer.take(into: destination, count: count))
    }
}
