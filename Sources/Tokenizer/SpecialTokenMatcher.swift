/// Finds special and added tokens (`<|im_start|>`, `<|endoftext|>`, ...) in raw text before
/// pre-tokenization, leftmost first and longest first at a position, as Hugging Face's
/// added-vocabulary split does.
struct SpecialTokenMatcher: Sendable {
    struct Entry: Sendable {
        var bytes: [UInt8]
        var id: Int32
        /// Control tokens are matched only when the caller asks to parse special tokens;
        /// user-defined tokens always are.
        var isControl: Bool
    }

    /// Candidates by first byte, longest first.
    private var byFirstByte: [[Entry]]
    let isEmpty: Bool

    init(entries: [Entry]) {
        var buckets = [[Entry]](repeating: [], count: 256)
        for entry in entries where !entry.bytes.isEmpty {
            buckets[Int(entry.bytes[0])].append(entry)
        }
        for index in buckets.indices {
            // Longest first; among equal lengths the lower id, so the choice is deterministic.
            buckets[index].sort { ($0.bytes.count, -$0.id) > ($1.bytes.count, -$1.id) }
        }
        byFirstByte = buckets
        isEmpty = entries.allSatisfy { $0.bytes.isEmpty }
    }

    /// The token starting at `position`, if any, with its length in bytes.
    @inline(__always)
    func match(in utf8: UnsafeBufferPointer<UInt8>, at position: Int, parseControl: Bool) -> (id: Int32, length: Int)? {
        let candidates = byFirstByte[Int(utf8[position])]
        if candidates.isEmpty { return nil }
        let remaining = utf8.count - position
        for candidate in candidates where candidate.isControl == false || parseControl {
            let length = candidate.bytes.count
            if length > remaining { continue }
            var equal = true
            candidate.bytes.withUnsafeBufferPointer { token in
                for offset in 1..<length where token[offset] != utf8[position + offset] {
                    equal = false
                    break
                }
            }
            if equal { return (candidate.id, length) }
        }
        return nil
    }
}
