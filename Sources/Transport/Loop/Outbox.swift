import SwarmBase
/// Frames waiting to be written to one peer, oldest first: a peer's send queue, and a
/// connection's frames held by the link emulator (each with the time it may be written; release
/// times never decrease, as the emulator keeps a link's frames in order).
struct Outbox {
    private var frames: [(at: UInt64, bytes: [UInt8])] = []
    private var head = 0
    private(set) var queuedBytes = 0

    var count: Int { frames.count - head }
    /// When the next frame may be written (nil: none queued).
    var nextRelease: UInt64? { head < frames.count ? frames[head].at : nil }

    mutating func push(_ frame: [UInt8], releaseAt: UInt64 = 0) {
        frames.append((releaseAt, frame))
        queuedBytes += frame.count
    }

    /// Takes frames due at `now` up to about `budget` bytes (always at least one if any is due).
    mutating func pop(budget: Int, now: UInt64 = .max) -> [[UInt8]] {
        var out = [[UInt8]]()
        var taken = 0
        while head < frames.count && frames[head].at <= now && (out.isEmpty || taken + frames[head].bytes.count <= budget) {
            taken += frames[head].bytes.count
            out.append(frames[head].bytes)
            frames[head].bytes = []
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
