import SwarmBase
/// Frames waiting to be written to one peer, oldest first.
struct Outbox {
    private var frames: [OutgoingFrame] = []
    private var head = 0
    private(set) var queuedBytes = 0

    var count: Int { frames.count - head }

    mutating func push(_ frame: OutgoingFrame) {
        frames.append(frame)
        queuedBytes += frame.count
    }

    /// Puts frames that were taken but never written back at the head, in their order.
    mutating func pushFront(_ unsent: [OutgoingFrame]) {
        guard !unsent.isEmpty else { return }
        frames = unsent + frames[head...]
        head = 0
        queuedBytes += unsent.reduce(0) { $0 + $1.count }
    }

    /// Takes frames up to about `budget` bytes and at most `limit` frames (always at least one if
    /// any and `limit` > 0).
    mutating func pop(budget: Int, limit: Int = .max) -> [OutgoingFrame] {
        var out = [OutgoingFrame]()
        var taken = 0
        while head < frames.count && out.count < limit && (out.isEmpty || taken + frames[head].count <= budget) {
            taken += frames[head].count
            out.append(frames[head])
            frames[head] = OutgoingFrame(head: [])
            head += 1
        }
        queuedBytes -= taken
        if head == frames.count {
            frames.removeAll(keepingCapacity: frames.capacity <= 1024)
            head = 0
        } else if head >= 64 && head * 2 >= frames.count {
            frames.removeFirst(head)
            head = 0
        }
        return out
    }
}
