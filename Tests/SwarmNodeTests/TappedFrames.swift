import Transport

/// The frames in one connection's tapped plaintext stream (`Transport.PlaintextWrite`s of one
/// connection, concatenated in order), read with the transport's frame layout:
/// `u32 length (LE) | u8 frame kind | body`, a payload's body starting `u8 payload kind | sender [32]`.
struct TappedFrames {
    /// What each frame is: a transport frame kind, or for payloads the payload kind.
    var kinds: [String] = []
    /// The stream ended inside a frame (a connection closed mid-write).
    var truncated = false
    /// Payload bodies of kind `factors` (without the payload header).
    var factorsBodies: [[UInt8]] = []

    init(_ stream: [UInt8]) {
        var at = 0
        while at < stream.count {
            guard at + Frame.headerSize + 1 <= stream.count else { truncated = true; break }
            let length = stream[at..<(at + 4)].reversed().reduce(0) { $0 << 8 | Int($1) }
            let kind = stream[at + 4]
            let end = at + Frame.headerSize + length
            switch FrameKind(rawValue: kind) {
            case .payload:
                if at + 5 < stream.count {
                    let payloadKind = PayloadKind(rawValue: stream[at + 5])
                    kinds.append(payloadKind.description)
                    let bodyStart = at + 6 + 32
                    if payloadKind == .factors, end <= stream.count, bodyStart <= end {
                        factorsBodies.append(Array(stream[bodyStart..<end]))
                    }
                } else {
                    kinds.append("payload (kind cut off)")
                }
            case .some(let known):
                kinds.append(known.description)
            case nil:
                kinds.append("unknown frame kind \(kind)")
            }
            if end > stream.count { truncated = true }
            at = end
        }
    }

    /// Frame kinds a node may send: the transport's own hello, bye and reason (a refusal or
    /// goodbye with a transport-made code and text, e.g. closing a duplicate connection), and
    /// payloads of kind membership (SWIM) and factors.
    static let allowed: Set<String> = ["hello", "bye", "reason", "membership", "factors"]
}
