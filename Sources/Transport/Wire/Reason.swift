import SwarmBase

/// Why a side refuses or ends a conversation: sent as a reason frame just before closing.
public struct Reason: Hashable, Sendable, CustomStringConvertible {
    /// Byte limit of the text.
    public static let maxTextLength = 1024

    public var code: ReasonCode
    /// Human-readable detail, e.g. both swarm ids.
    public var text: String

    public init(_ code: ReasonCode, _ text: String) {
        self.code = code
        // Keep the text within the wire limit without splitting a UTF-8 sequence.
        var clipped = text
        while clipped.utf8.count > Self.maxTextLength { clipped.removeLast() }
        self.text = clipped
    }

    public var description: String { "\(code): \(text)" }

    // Layout: code u16 | text (u16 len, utf8).
    func encode(into writer: inout ByteWriter) {
        writer.u16(code.rawValue)
        writer.string(text, length: UInt16.self)
    }

    static func decode(_ reader: inout ByteReader<ArraySlice<UInt8>>) throws(ByteReadError) -> Reason {
        let code = ReasonCode(rawValue: try reader.u16("code"))
        let text = try reader.string("text", length: UInt16.self, limit: maxTextLength)
        try reader.expectEnd()
        return Reason(code, text)
    }
}
