import Glibc

/// Ciphertext between OpenSSL and the socket, one direction of one TLS session: storage kept
/// between frames (one allocation per connection, not one per frame), with the bytes not yet
/// taken at `[start, end)`.
///
/// - Output: `WireBIO` appends each record OpenSSL seals straight into the buffer, and the session
///   drains it to the socket in large `send` calls, so a record is copied once on its way out (a
///   memory BIO copied it twice: into the BIO, then out of it). The buffer grows to about twice
///   the session's write limit and no further: the session stops encrypting while that much is
///   queued.
/// - Input: the session's read BIO `recv`s up to 256 KiB at a time into the buffer and hands
///   OpenSSL each record as it asks for it. (OpenSSL's own read-ahead moved every byte left in its
///   buffer to the front each time it began a record: with a 256 KiB buffer and 16 KiB records,
///   eight times the data, 20% of a bulk transfer's CPU by perf on an AMD EPYC Zen 3.)
///
/// Owned by one `TLSSession` and used only from its event loop's thread.
final class WireBuffer {
    private var storage: UnsafeMutableRawPointer?
    private var capacity = 0
    /// storage[start..<end] is waiting for the socket.
    private var start = 0
    private var end = 0

    init() {}

    deinit { free(storage) }

    /// Bytes waiting for the socket.
    var pendingCount: Int { end - start }

    /// The bytes waiting for the socket (empty when none).
    var pending: UnsafeRawBufferPointer {
        guard let storage, end > start else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: storage + start, count: end - start)
    }

    /// Appends `count` bytes; false when memory cannot be had (the session then fails the write).
    func append(_ bytes: UnsafeRawPointer, count: Int) -> Bool {
        guard count > 0 else { return true }
        if capacity - end < count {
            guard makeRoom(count) else { return false }
        }
        memcpy(storage! + end, bytes, count)
        end += count
        return true
    }

    /// Room for at least `count` bytes after the pending ones, for a `recv` to fill (then `commit`).
    /// Nil when memory cannot be had.
    func reserve(_ count: Int) -> UnsafeMutableRawBufferPointer? {
        if capacity - end < count {
            guard makeRoom(count) else { return nil }
        }
        return UnsafeMutableRawBufferPointer(start: storage! + end, count: capacity - end)
    }

    /// `count` bytes were written into the room `reserve` gave.
    func commit(_ count: Int) {
        end += max(0, min(count, capacity - end))
    }

    /// Copies up to `count` pending bytes to `destination` and consumes them; returns how many.
    func take(into destination: UnsafeMutableRawPointer, count: Int) -> Int {
        let taken = min(count, end - start)
        guard taken > 0 else { return 0 }
        memcpy(destination, storage! + start, taken)
        consume(taken)
        return taken
    }

    /// The first `count` pending bytes were sent or taken.
    func consume(_ count: Int) {
        start += min(count, end - start)
        if start == end {
            start = 0
            end = 0
        }
    }

    /// Room for `count` more bytes after `end`: first by moving the pending bytes to the front,
    /// then by growing (at least doubling).
    private func makeRoom(_ count: Int) -> Bool {
        let live = end - start
        if start > 0 && capacity - live >= count {
            memmove(storage!, storage! + start, live)
            start = 0
            end = live
            return true
        }
        let grown = max(live + count, capacity * 2, 64 << 10)
        if start > 0 {
            memmove(storage!, storage! + start, live)
            start = 0
            end = live
        }
        guard let moved = realloc(storage, grown) else { return false }
        storage = moved
        capacity = grown
        return true
    }
}
