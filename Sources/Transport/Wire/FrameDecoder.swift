import SwarmBase
import Glibc

/// Streaming frame decoder: feed bytes as they arrive, take complete frames out.
///
/// A pure value type with no I/O, so it can be fuzzed directly. It never allocates more than the
/// bytes actually fed: an oversized length prefix is rejected as soon as its 4 bytes arrive.
/// After the first error the decoder stays failed and keeps returning that error.
public struct FrameDecoder: Sendable {
    /// Largest accepted length field (kind + payload). May change between frames, e.g. a small
    /// limit until the peer is known, the configured one after.
    public var maxFrameLength: Int {
        didSet { maxFrameLength = max(1, maxFrameLength) }
    }

    // buffer[readIndex..<writeIndex] holds unconsumed bytes; buffer[writeIndex...] is spare room
    // that `fill` lets the receive path write into directly.
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var writeIndex = 0
    private var failure: FrameError?

    /// Spare room kept after a large frame; beyond it the buffer is released when empty.
    private static let retainedCapacity = 16 << 20

    public init(maxFrameLength: Int = Frame.defaultMaxLength) {
        self.maxFrameLength = max(1, maxFrameLength)
    }

    /// Bytes fed but not yet returned as frames.
    public var bufferedByteCount: Int { writeIndex - readIndex }

    /// True if a frame has started but is not complete (used for read timeouts).
    public var isMidFrame: Bool { bufferedByteCount > 0 }

    /// Appends bytes received from the stream.
    public mutating func feed(_ bytes: some Collection<UInt8>) {
        guard failure == nil, !bytes.isEmpty else { return }
        let count = bytes.count
        _ = fill(upTo: count) { room in
            var written = 0
            for byte in bytes {
                room[written] = byte
                written += 1
            }
            return written
        }
    }

    /// Appends bytes from raw memory.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil, !bytes.isEmpty else { return }
        _ = fill(upTo: bytes.count) { room in
            room.copyMemory(from: bytes)
            return bytes.count
        }
    }

    /// Lets the receive path write up to `count` bytes straight into the buffer (no extra copy).
    /// `body` gets writable room of exactly `count` bytes and returns how many it wrote.
    public mutating func fill(upTo count: Int, _ body: (UnsafeMutableRawBufferPointer) -> Int) -> Int {
        guard failure == nil, count > 0 else { return 0 }
        makeRoom(count)
        let start = writeIndex
        let written = buffer.withUnsafeMutableBytes { raw in
            body(UnsafeMutableRawBufferPointer(rebasing: raw[start..<(start + count)]))
        }
        writeIndex += max(0, min(written, count))
        return written
    }

    /// The next complete frame body, nil if more bytes are needed, or the error that ends the stream.
    public mutating func nextRawFrame() throws(FrameError) -> RawFrame? {
        if let failure { throw failure }
        let available = writeIndex - readIndex
        guard available >= Frame.headerSize else { return nil }
        var length: UInt64 = 0
        for i in 0..<4 { length |= UInt64(buffer[readIndex + i]) << UInt64(8 * i) }
        if length == 0 { try fail(.emptyFrame) }
        if length > UInt64(maxFrameLength) { try fail(.frameTooLarge(length: length, limit: maxFrameLength)) }
        let total = Frame.headerSize + Int(length)
        guard available >= total else { return nil }
        let kind = buffer[readIndex + Frame.headerSize]
        let payload = buffer[(readIndex + Frame.headerSize + 1)..<(readIndex + total)]
        readIndex += total
        return RawFrame(kind: kind, payload: payload)
    }

    /// The next complete, fully validated frame; nil if more bytes are needed.
    public mutating func nextFrame() throws(FrameError) -> Frame? {
        guard let raw = try nextRawFrame() else { return nil }
        do {
            return try raw.decode()
        } catch {
            try fail(error)
        }
    }

    private mutating func fail(_ error: FrameError) throws(FrameError) -> Never {
        failure = error
        buffer = []
        readIndex = 0
        writeIndex = 0
        throw error
    }

    /// Ensures `count` writable bytes after `writeIndex`: first by dropping consumed bytes,
    /// then by growing geometrically. Growth follows bytes actually received, never a length prefix.
    private mutating func makeRoom(_ count: Int) {
        if readIndex == writeIndex {
            readIndex = 0
            writeIndex = 0
            if buffer.count > Self.retainedCapacity { buffer = [] }
        }
        // Move a partial frame to the front while it is short: as soon as its length prefix says
        // it will not fit in the rest of the buffer, not when the buffer's end is reached with
        // most of a large frame (megabytes) to move.
        let live = writeIndex - readIndex
        var frameEnd = writeIndex
        if live >= Frame.headerSize {
            var length = 0
            for i in 0..<4 { length |= Int(buffer[readIndex + i]) << (8 * i) }
            frameEnd = readIndex + Frame.headerSize + min(length, maxFrameLength)
        }
        if buffer.count - writeIndex >= count && (frameEnd <= buffer.count || readIndex == 0) { return }
        if readIndex > 0 {
            let from = readIndex
            buffer.withUnsafeMutableBytes { raw in
                let base = raw.baseAddress!
                memmove(base, base + from, live)
            }
            readIndex = 0
            writeIndex = live
            if buffer.count - writeIndex >= count { return }
        }
        let needed = writeIndex + count
        let grown = max(needed, buffer.count * 2, 4096)
        buffer.append(contentsOf: repeatElement(0, count: grown - buffer.count))
    }
}
