import SwarmBase

/// A connection's plaintext output: the transport's own frames (hello, reason, bye), written
/// before anything else, and the buffer being written with how much of it is out.
struct OutputQueue {
    /// Transport-made frames, oldest first.
    private var control: [[UInt8]] = []
    /// The buffer being written (one frame or several coalesced).
    private(set) var current: [UInt8] = []
    private(set) var offset = 0
    /// The outbox frames `current` was made of (empty for a control frame), so a buffer not yet
    /// started can go back to the outbox whole.
    private var currentFrames: [[UInt8]] = []

    /// Frames still to encrypt.
    var hasFrames: Bool { offset < current.count || !control.isEmpty }

    /// Whether `current` is fully written.
    var currentIsDone: Bool { offset >= current.count }

    mutating func pushControl(_ frame: [UInt8]) { control.append(frame) }

    /// Makes the next control frame current; false when there is none.
    mutating func takeControl() -> Bool {
        guard !control.isEmpty else { return false }
        current = control.removeFirst()
        currentFrames = []
        offset = 0
        return true
    }

    /// Makes `frames` (from the peer's outbox) current, coalesced into one buffer.
    mutating func setCurrent(_ frames: [[UInt8]]) {
        if frames.count == 1 {
            current = frames[0]
        } else {
            current = []
            current.reserveCapacity(frames.reduce(0) { $0 + $1.count })
            for frame in frames { current.append(contentsOf: frame) }
        }
        currentFrames = frames
        offset = 0
    }

    /// `count` more bytes of `current` are out.
    mutating func advance(by count: Int) {
        offset += count
        if offset >= current.count {
            current = []
            currentFrames = []
            offset = 0
        }
    }

    /// On close: drops queued control frames and a buffer not yet started (one half-written
    /// must finish, or the peer's stream would be cut mid-frame). Returns the outbox frames of the
    /// dropped buffer, oldest first, for a caller that can still send them another way.
    @discardableResult
    mutating func dropUnstarted() -> [[UInt8]] {
        control.removeAll()
        guard offset == 0 else { return [] }
        let unsent = currentFrames
        current = []
        currentFrames = []
        return unsent
    }
}
