import Testing
import Glibc
@testable import SwarmBase
@testable import Transport

/// The ciphertext buffers between OpenSSL and the socket: bytes come out in the order they went
/// in, whatever mix of appends, `recv`-style fills, partial sends and takes moves them.
struct WireBufferTests {
    @Test("seeded mixes of appends, fills, partial consumes and takes give back the byte stream in order")
    func streamRoundTrip() {
        for seed: UInt64 in 1...8 {
            var random = SeededRandom(seed: seed)
            let wire = WireBuffer()
            var sent = [UInt8](), received = [UInt8]()
            var next: UInt8 = 0
            func bytes(_ count: Int) -> [UInt8] {
                defer { next &+= UInt8(truncatingIfNeeded: count) }
                return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                    for i in 0..<count { buffer[i] = next &+ UInt8(truncatingIfNeeded: i) }
                    initialized = count
                }
            }
            for _ in 0..<200 {
                // Up to 200 KiB: past the 64 KiB first allocation, so growth and moves are exercised.
                let size = Int(random.next() % 200_000)
                switch random.next() % 4 {
                case 0:
                    let chunk = bytes(size)
                    #expect(chunk.withUnsafeBytes { wire.append($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, count: $0.count) })
                    sent += chunk
                case 1:
                    let chunk = bytes(size)
                    guard let room = wire.reserve(size) else { Issue.record("reserve failed"); return }
                    #expect(room.count >= size)
                    chunk.withUnsafeBytes { if size > 0 { room.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: size) } }
                    wire.commit(size)
                    sent += chunk
                case 2:
                    let count = min(size, wire.pendingCount)
                    received += Array(wire.pending.prefix(count))
                    wire.consume(count)
                default:
                    var out = [UInt8](repeating: 0, count: size + 1)
                    let taken = out.withUnsafeMutableBytes { wire.take(into: $0.baseAddress!, count: size) }
                    #expect(taken == min(size, sent.count - received.count))
                    received += out.prefix(taken)
                }
                #expect(wire.pendingCount == sent.count - received.count)
            }
            received += Array(wire.pending)
            wire.consume(wire.pendingCount)
            #expect(received == sent, "seed \(seed)")
            #expect(wire.pendingCount == 0)
        }
    }

    @Test("a socket read serves OpenSSL from one recv until it is used up, then reports would-block and end of stream")
    func socketInputReads() throws {
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        let input = SocketInput(fd: fds[0])
        var out = [UInt8](repeating: 0, count: 256)
        #expect(out.withUnsafeMutableBytes { input.read(into: $0.baseAddress!, count: 10) } == .wouldBlock)
        let message = [UInt8](0..<100)
        #expect(message.withUnsafeBytes { write(fds[1], $0.baseAddress, 100) } == 100)
        // A 5-byte record header first: one recv brings all 100 bytes, 95 stay buffered.
        #expect(out.withUnsafeMutableBytes { input.read(into: $0.baseAddress!, count: 5) } == .bytes(5))
        #expect(input.bufferedCount == 95)
        #expect(out.withUnsafeMutableBytes { input.read(into: $0.baseAddress! + 5, count: 200) } == .bytes(95))
        #expect(Array(out.prefix(100)) == message)
        #expect(input.bufferedCount == 0)
        #expect(out.withUnsafeMutableBytes { input.read(into: $0.baseAddress!, count: 10) } == .wouldBlock)
        shutdown(fds[1], Int32(SHUT_WR))
        #expect(out.withUnsafeMutableBytes { input.read(into: $0.baseAddress!, count: 10) } == .endOfStream)
    }
}
