import SwarmBase
/// A frame body cut from the byte stream: the kind byte and the payload, not yet interpreted.
public struct RawFrame: Hashable, Sendable {
    public let kind: UInt8
    public let payload: ArraySlice<UInt8>

    /// Interprets the payload (validating every field).
    public func decode() throws(FrameError) -> Frame {
        try Frame.decode(kind: kind, payload: payload)
    }
}
