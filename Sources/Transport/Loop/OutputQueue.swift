import SwarmBase

/// A connection's plaintext output: the transport's own frames (hello, reason, bye), written
/// before anything else, and the buffer being written with how much of it is out.
///
/// The buffer being written is a list of byte arrays written back to back: small frames
/// coalesced into one array, and each large payload's body as its own (the caller's array, never
/// copied: see `OutgoingFrame`).
struct OutputQueue {
    /// Transport-made frames, oldest first.
    private var control: [[UInt8]] = []
    /// The buffer being written, as segments; `segment` and `offset` say how much is out.
    private(set) var segments: [[UInt8]] = []
    private var segment = 0
    private(set) var offset = 0
    /// The outbox frames the buffer was made of (empty for a control frame), so a buffer not yet
    /// started can go back to the outbox whole.
    private var currentFrames: [OutgoingFrame] = []

    /// Frames still to encrypt.
    var hasFrames: Bool { segment < segments.count || !control.isEmpty }

    /// Whether the current buffer is fully written.
    var currentIsDone: Bool { segment >= segments.count }

    /// The current buffer's bytes in order (tests and diagnostics).
    var current: [UInt8] { segments.flatMap { $0 } }

    mutating func pushControl(_ frame: [UInt8]) { control.append(frame) }

    /// Makes the next control frame current; false when there is none.
    mutating func takeControl() -> Bool {
        guard !control.isEmpty else { return false }
        start([control.removeFirst()], frames: [])
        return true
    }

    /// Makes `frames` (from the peer's outbox) current: heads and small frames coalesced into one
    /// array until a large body, which stays its own segment.
    mutating func setCurrent(_ frames: [OutgoingFrame]) {
        if frames.count == 1 {
            let frame = frames[0]
            start(frame.body.isEmpty ? [frame.head] : [frame.head, frame.body], frames: frames)
            return
        }
        var built: [[UInt8]] = []
        var pending: [UInt8] = []
        pending.reserveCapacity(frames.reduce(0) { $0 + ($1.body.isEmpty ? $1.head.count : 0) })
        for frame in frames {
            pending.append(contentsOf: frame.head)
            if !frame.body.isEmpty {
                built.append(pending)
                built.append(frame.body)
                pending = []
            }
        }
        if !pending.isEmpty { built.append(pending) }
        start(built, frames: frames)
    }

    /// Calls `body` with the bytes of the current segment not yet written (empty when done).
    func withUnwrittenBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        guard segment < segments.count else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        let from = offset
        return segments[segment].withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[from...])) }
    }

    /// `count` more bytes of the current segment are out.
    mutating func advance(by count: Int) {
        guard segment < segments.count else { return }
        offset += count
        while segment < segments.count && offset >= segments[segment].count {
            offset -= segments[segment].count
            segment += 1
        }
        if segment >= segments.count {
            segments = []
            currentFrames = []
            segment = 0
            offset = 0
        }
    }

    /// On close: drops queued control frames and a buffer not yet started (one half-written
    /// must finish, or the peer's stream would be cut mid-frame). Returns the outbox frames of the
    /// dropped buffer, oldest first, for a caller that can still send them another way.
    @discardableResult
    mutating func dropUnstarted() -> [OutgoingFrame] {
        control.removeAll()
        guard segment == 0 && offset == 0 else { return [] }
        let unsent = currentFrames
        segments = []
        currentFrames = []
        return unsent
    }

    private mutating func start(_ segments: [[UInt8]], frames: [OutgoingFrame]) {
        self.segments = segments.filter { !$0.isEmpty }
        currentFrames = frames
        segment = 0
        offset = 0
    }
}
