import Tokenizer

/// Produces a continuation token by token, handing each token's bytes to a sink as soon as it
/// is chosen (streaming), and stopping at an end-of-turn token or the token budget.
public struct Generator {
    public let session: InferenceSession
    public let tokenizer: BPETokenizer
    /// Tokens that end the continuation (not emitted): the core's EOS and <|im_end|>.
    public var stopTokens: Set<Int32>

    public init(session: InferenceSession, tokenizer: BPETokenizer) {
        self.session = session
        self.tokenizer = tokenizer
        var stops = Set<Int32>()
        if let e = tokenizer.eosID { stops.insert(e) }
        if let e = tokenizer.id(for: ChatTemplate.messageEnd) { stops.insert(e) }
        if let e = tokenizer.id(for: "<|endoftext|>") { stops.insert(e) }
        stopTokens = stops
    }

    public struct Result: Sendable {
        public var tokens: [Int32]
        public var text: String
        public var stoppedAtEnd: Bool
    }

    /// Runs `prompt` (token ids) then samples up to `maxTokens` new tokens. `abandon`, given every
    /// byte generated so far after each token, ends the continuation there when it returns true
    /// (a judge that already knows the answer is wrong).
    ///
    /// `sharedPrefix` (0: none) is how many leading tokens this prompt shares with others run on
    /// the same session (a chat template's system turn, an instruction's fixed words): they run
    /// as their own pass and stay in the cache, and a later prompt with the same first tokens
    /// starts after them. The prefix is always a pass of its own, cached or not, so a prompt's
    /// result is the same whichever prompt ran before it.
    public func generate(prompt: [Int32], maxTokens: Int, sampler: inout Sampler, sharedPrefix: Int = 0,
                         onBytes: ([UInt8]) -> Void = { _ in },
                         abandon: ([UInt8]) -> Bool = { _ in false }) throws(LMError) -> Result {
        var logits: UnsafeBufferPointer<Float>
        let prefix = min(max(0, sharedPrefix), prompt.count - 1)
        if prefix > 0 {
            if session.position >= prefix && session.cached[..<prefix].elementsEqual(prompt[..<prefix]) {
                session.rewind(to: prefix)
            } else {
                session.reset()
                try session.append(Array(prompt[..<prefix]))
            }
            logits = try session.append(Array(prompt[prefix...]))
        } else {
            session.reset()
            logits = try session.append(prompt)
        }
        var out: [Int32] = []
        var bytes: [UInt8] = []
        var stopped = false
        while out.count < maxTokens {
            let next = sampler.sample(logits)
            if stopTokens.contains(next) {
                stopped = true
                break
            }
            out.append(next)
            let piece = tokenizer.decodeBytes(next)
            bytes += piece
            onBytes(piece)
            if abandon(bytes) { break }
            if out.count == maxTokens || session.position >= session.contextLength { break }
            logits = try session.append([next])
        }
        return Result(tokens: out, text: tokenizer.decode(out), stoppedAtEnd: stopped)
    }
}

/// Collects streamed bytes and releases only complete, valid UTF-8, so a character split across
/// tokens is never printed in halves and a stream never ends in a broken sequence: bytes that
/// cannot form a character (a token holding half of one, the limit cutting a character) are
/// replaced by U+FFFD, as Unicode's "substitution of maximal subparts" prescribes.
public struct UTF8StreamBuffer {
    private var pending: [UInt8] = []
    public init() {}

    /// Appends bytes and returns the longest prefix that ends on a character boundary.
    public mutating func push(_ bytes: [UInt8]) -> [UInt8] {
        pending += bytes
        var cut = pending.count
        // Walk back over at most 3 continuation bytes to the last lead byte.
        var i = pending.count - 1
        var back = 0
        while i >= 0 && back < 4 {
            let b = pending[i]
            if b & 0xC0 != 0x80 {
                let need = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
                if pending.count - i < need { cut = i }
                break
            }
            i -= 1
            back += 1
        }
        let ready = Array(String(decoding: pending[..<cut], as: UTF8.self).utf8)
        pending.removeFirst(cut)
        return ready
    }

    /// Whatever is left at the end of the stream, as valid UTF-8 (an incomplete last sequence
    /// becomes U+FFFD).
    public mutating func flush() -> [UInt8] {
        defer { pending = [] }
        return Array(String(decoding: pending, as: UTF8.self).utf8)
    }
}
