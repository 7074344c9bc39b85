/// A connection's payload frames held by the link emulator, oldest first, each with the time it
/// may be written. Release times never decrease (the emulator keeps a link's frames in order), so
/// the frames due are always a prefix. Empty without link emulation; short with it (the frames in
/// flight on one link).
struct HeldFrames {
    private var frames = Outbox()
    private var times: [UInt64] = []

    /// When the next frame may be written (nil: none held).
    var nextRelease: UInt64? { times.first }

    mutating func push(_ frame: OutgoingFrame, releaseAt: UInt64) {
        frames.push(frame)
        times.append(releaseAt)
    }

    var isEmpty: Bool { times.isEmpty }

    /// Takes every held frame, due or not, oldest first.
    mutating func removeAll() -> [OutgoingFrame] {
        let out = frames.pop(budget: .max)
        times.removeAll()
        return out
    }

    /// Takes the frames due at `now`, up to about `budget` bytes (at least one if any is due).
    mutating func pop(budget: Int, now: UInt64) -> [OutgoingFrame] {
        let due = times.prefix { $0 <= now }.count
        guard due > 0 else { return [] }
        let out = frames.pop(budget: budget, limit: due)
        times.removeFirst(out.count)
        return out
    }
}
