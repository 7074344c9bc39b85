import SwarmBase

/// A connection's plaintext output: the transport's own frames (hello, reason, bye), written
/// before anything else, and the buffer being written with how much of it is out.
struct OutputQueue {
    /// Transport-made frames, oldest first.
    private var control: [[UInt8]] = []
    /// The buffer being written (one frame or several coalesced).
    private(set) var current: [UInt8] = []
    private(set) var offset = 0

    /// Frames still to encrypt.
    var hasFrames: Bool { offset < current.count || !control.isEmpty }

    /// Whether `current` is fully written.
    var currentIsDone: Bool { offset >= current.count }

    mutating func pushControl(_ frame: [UInt8]) { control.append(frame) }

    /// Makes the next control frame current; false when there is none.
    mutating func takeControl() -> Bool {
        guard !control.isEmpty else { return false }
        current = control.removeFirst()
        offset = 0
        return true
    }

    /// Makes `bytes` (frames from the peer's outbox) current.
    mutating func setCurrent(_ bytes: [UInt8]) {
        current = bytes
        offset = 0
    }

    /// `count` more bytes of `current` are out.
    mutating func advance(by count: Int) {
        offset += count
        if offset >= current.count {
            current = []
            offset = 0
        }
    }

    /// On close: drops queued control frames and a buffer not yet started (one half-written
    /// must finish, or the peer's stream would be cut mid-frame).
    mutating func dropUnstarted() {
        control.removeAll()
        if offset == 0 { current = [] }
    }
}
