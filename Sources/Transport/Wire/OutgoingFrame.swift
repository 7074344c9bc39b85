import SwarmBase

/// A frame encoded for the wire as two byte arrays written back to back: `head` (the length
/// prefix, the kind and every field) and `body` (a large payload's bytes: the caller's array,
/// shared, not copied into the frame). Small frames are all head, so coalescing them copies little.
///
/// Copying a 2 MB payload into its frame was 5-7% of a bulk transfer's CPU (perf, `swarmtune
/// bench transport`, AMD EPYC Zen 3).
struct OutgoingFrame: Equatable, Sendable {
    /// Payload bodies of this many bytes or more travel as their own array.
    static let separateBodyBytes = 16 << 10

    var head: [UInt8]
    var body: [UInt8]

    init(head: [UInt8], body: [UInt8] = []) {
        self.head = head
        self.body = body
    }

    /// Wire bytes in all.
    var count: Int { head.count + body.count }

    /// The wire bytes as one array (tests and diagnostics).
    var bytes: [UInt8] { body.isEmpty ? head : head + body }
}

extension Frame {
    /// The wire bytes of `encoded()`, with a payload body of `OutgoingFrame.separateBodyBytes` or
    /// more left in its own array.
    func outgoing() throws(FrameError) -> OutgoingFrame {
        guard case .payload(let payload) = self, payload.body.count >= OutgoingFrame.separateBodyBytes else {
            return OutgoingFrame(head: try encoded())
        }
        let length = 1 + Payload.headerSize + payload.body.count
        guard length <= Int(UInt32.max) else {
            throw .frameTooLarge(length: UInt64(length), limit: Int(UInt32.max))
        }
        var writer = ByteWriter(capacity: Frame.headerSize + 1 + Payload.headerSize)
        writer.u32(UInt32(length))
        writer.u8(kind.rawValue)
        payload.encodeHeader(into: &writer)
        return OutgoingFrame(head: writer.finish(), body: payload.body)
    }
}
