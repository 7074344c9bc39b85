/// The kind of a vocabulary entry, as GGUF `tokenizer.ggml.token_type` numbers it.
public enum TokenType: Int32, Sendable {
    case normal = 1
    case unknown = 2
    case control = 3
    case userDefined = 4
    case unused = 5
    case byte = 6
}

/// A byte-level BPE tokenizer (GPT-2 style, as SmolLM2 uses), built from the vocabulary,
/// token types and merges a model file carries.
///
/// Encoding: special and added tokens are cut out of the raw text first; the rest is split
/// by the pre-tokenizer; each piece is spelled in the byte alphabet and merged by rank.
/// Decoding gives back the exact bytes, so `decode(encode(s)) == s` for every string.
/// A value type; copies share a thread-safe cache of encoded pieces.
public struct BPETokenizer: Sendable {
    /// Number of tokens in the vocabulary; valid ids are `0..<vocabSize`.
    public var vocabSize: Int { tokens.count }
    public let bosID: Int32?
    public let eosID: Int32?
    public let unknownID: Int32?
    public let padID: Int32?
    /// Whether `encode` puts the BOS token first (GGUF `tokenizer.ggml.add_bos_token`).
    public let addsBOS: Bool
    public let preTokenizer: PreTokenizer
    /// Whether a piece that is itself a vocabulary token is taken whole instead of merged (Hugging
    /// Face's `ignore_merges`, which Llama 3's tokenizer sets; llama.cpp sets it for the
    /// "llama-bpe"/"llama3" pre-tokenizers). Merging can reach a different split of such a piece.
    public let ignoresMerges: Bool
    /// Bytes the vocabulary has no token for. Encoding drops them (as the reference
    /// implementations do), so text containing them does not survive a round trip; every
    /// other text does. For SmolLM2: the control characters U+0004, U+0006, U+0013, U+0014,
    /// U+0016, U+001D and the scalars U+40000...U+BFFFF (lead bytes 0xF1, 0xF2).
    public let unencodableBytes: [UInt8]

    private let tokens: [String]
    private let types: [TokenType]
    private let idsByToken: [String: Int32]
    /// The id of each single-byte token, by byte value.
    private let byteTokens: [Int32]
    private let merges: MergeTable
    private let matcher: SpecialTokenMatcher
    private let special: [Bool]
    /// The bytes each token decodes to, concatenated; token `i` is `bytes[offsets[i]..<offsets[i+1]]`.
    private let decodedBytes: [UInt8]
    private let decodedOffsets: [Int]
    private let cache: WordCache

    /// Builds a tokenizer from a model's tokenizer metadata.
    ///
    /// - Parameters:
    ///   - tokens: the vocabulary, in id order, spelled in the byte alphabet (`Ġ` for a space).
    ///   - tokenTypes: one `TokenType` raw value per token, or empty when the model gives none.
    ///   - merges: merge rules in rank order, each two tokens separated by one space (`"Ġ t"`).
    ///   - bosID, eosID, unknownID, padID: the model's special token ids, when it has them.
    ///   - preTokenizer: the model's pre-tokenizer name (GGUF `tokenizer.ggml.pre`), e.g. "smollm".
    ///   - addBOS: whether `encode` should put the BOS token first.
    public init(
        tokens: [String], tokenTypes: [Int32], merges: [String],
        bosID: Int32?, eosID: Int32?, unknownID: Int32?, padID: Int32?,
        preTokenizer: String, addBOS: Bool
    ) throws(TokenizerError) {
        guard !tokens.isEmpty else { throw .emptyVocabulary }
        guard tokens.count <= Int(Int32.max) else { throw .vocabularyTooLarge(count: tokens.count) }
        guard tokenTypes.isEmpty || tokenTypes.count == tokens.count else {
            throw .tokenTypeCountMismatch(tokens: tokens.count, tokenTypes: tokenTypes.count)
        }
        for (name, id) in [("bos", bosID), ("eos", eosID), ("unknown", unknownID), ("padding", padID)] {
            if let id, id < 0 || Int(id) >= tokens.count {
                throw .specialTokenOutOfRange(name: name, id: id, vocabularySize: tokens.count)
            }
        }
        self.preTokenizer = try PreTokenizer(name: preTokenizer)
        self.ignoresMerges = preTokenizer == "llama-bpe" || preTokenizer == "llama3"
        self.tokens = tokens
        self.bosID = bosID
        self.eosID = eosID
        self.unknownID = unknownID
        self.padID = padID
        self.addsBOS = addBOS
        self.types = tokenTypes.isEmpty
            ? [TokenType](repeating: .normal, count: tokens.count)
            : tokenTypes.map { TokenType(rawValue: $0) ?? .normal }

        // Later duplicates win, as in a Hugging Face vocabulary dictionary.
        var idsByToken = [String: Int32](minimumCapacity: tokens.count)
        for (id, token) in tokens.enumerated() {
            idsByToken[token] = Int32(id)
        }
        self.idsByToken = idsByToken

        // Real vocabularies can lack a few byte tokens (SmolLM2 has no token for bytes such as
        // 0x04 or 0xFF); those bytes are dropped when encoding, as Hugging Face and llama.cpp do.
        var byteTokens = [Int32](repeating: -1, count: 256)
        var unencodable: [UInt8] = []
        for byte in 0..<256 {
            if let id = idsByToken[String(ByteLevel.scalarForByte[byte])] {
                byteTokens[byte] = id
            } else {
                unencodable.append(UInt8(byte))
            }
        }
        self.byteTokens = byteTokens
        self.unencodableBytes = unencodable
        self.merges = try Self.parseMerges(merges, idsByToken: idsByToken)

        // Special: control tokens and the model's named special tokens. Matched in raw text:
        // those and user-defined tokens. Both decode to their literal text.
        var special = self.types.map { $0 == .control }
        for id in [bosID, eosID, unknownID, padID].compactMap({ $0 }) {
            special[Int(id)] = true
        }
        self.special = special
        var entries: [SpecialTokenMatcher.Entry] = []
        for (id, token) in tokens.enumerated() where special[id] || self.types[id] == .userDefined {
            entries.append(.init(bytes: Array(token.utf8), id: Int32(id), isControl: special[id]))
        }
        self.matcher = SpecialTokenMatcher(entries: entries)

        var decodedBytes: [UInt8] = []
        var decodedOffsets: [Int] = [0]
        decodedOffsets.reserveCapacity(tokens.count + 1)
        for (id, token) in tokens.enumerated() {
            if special[id] || self.types[id] == .userDefined {
                decodedBytes.append(contentsOf: token.utf8)
            } else {
                decodedBytes.append(contentsOf: ByteLevel.decode(token))
            }
            decodedOffsets.append(decodedBytes.count)
        }
        self.decodedBytes = decodedBytes
        self.decodedOffsets = decodedOffsets
        self.cache = WordCache(capacity: 1 << 16)
    }

    private static func parseMerges(_ merges: [String], idsByToken: [String: Int32]) throws(TokenizerError) -> MergeTable {
        var table = MergeTable(minimumCapacity: merges.count)
        for (rank, merge) in merges.enumerated() {
            let parts = merge.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw .malformedMerge(index: rank, merge: merge)
            }
            let left = String(parts[0])
            let right = String(parts[1])
            guard let leftID = idsByToken[left] else {
                throw .mergeTokenNotInVocabulary(index: rank, merge: merge, token: left)
            }
            guard let rightID = idsByToken[right] else {
                throw .mergeTokenNotInVocabulary(index: rank, merge: merge, token: right)
            }
            guard let mergedID = idsByToken[left + right] else {
                throw .mergeResultNotInVocabulary(index: rank, merge: merge, result: left + right)
            }
            table.insert(left: leftID, right: rightID, rank: Int32(clamping: rank), merged: mergedID)
        }
        return table
    }

    // MARK: Encoding

    /// The token ids of `text`.
    ///
    /// With `parseSpecial`, control tokens written in the text (`<|im_start|>`) become their
    /// ids; without it they are encoded as ordinary text (use this for untrusted content).
    /// User-defined added tokens are always matched. The BOS token is put first when the
    /// model asks for it (`addsBOS`).
    public func encode(_ text: String, parseSpecial: Bool = true) -> [Int32] {
        var output: [Int32] = []
        if addsBOS, let bosID { output.append(bosID) }
        var text = text
        text.withUTF8 { utf8 in
            output.reserveCapacity(utf8.count / 3 + 1)
            var merger = WordMerger()
            var segmentStart = 0
            var position = 0
            if !matcher.isEmpty {
                while position < utf8.count {
                    if let found = matcher.match(in: utf8, at: position, parseControl: parseSpecial) {
                        encodeOrdinary(utf8, segmentStart..<position, merger: &merger, into: &output)
                        output.append(found.id)
                        position += found.length
                        segmentStart = position
                    } else {
                        position += 1
                    }
                }
            }
            encodeOrdinary(utf8, segmentStart..<utf8.count, merger: &merger, into: &output)
        }
        return output
    }

    /// Encodes text that holds no special tokens: pre-tokenize, then merge each piece.
    private func encodeOrdinary(
        _ utf8: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, merger: inout WordMerger,
        into output: inout [Int32]
    ) {
        if range.isEmpty { return }
        preTokenizer.forEachPiece(in: utf8, range: range) { piece in
            let bytes = UnsafeBufferPointer(rebasing: utf8[piece])
            if bytes.count == 1 {
                let id = byteTokens[Int(bytes[0])]
                if id >= 0 { output.append(id) }
            } else if bytes.count <= WordCache.maximumPieceLength {
                let key = Array(bytes)
                if let cached = cache.lookup(key) {
                    output.append(contentsOf: cached)
                } else {
                    let start = output.count
                    encodePiece(bytes, merger: &merger, into: &output)
                    cache.store(key, Array(output[start...]))
                }
            } else {
                encodePiece(bytes, merger: &merger, into: &output)
            }
        }
    }

    /// One piece of two or more bytes: the whole piece's token under `ignoresMerges` when the
    /// vocabulary has it, otherwise its byte tokens merged by rank.
    private func encodePiece(_ bytes: UnsafeBufferPointer<UInt8>, merger: inout WordMerger, into output: inout [Int32]) {
        if ignoresMerges, let id = idsByToken[ByteLevel.encode(bytes)] {
            output.append(id)
            return
        }
        merger.merge(bytes, byteTokens: byteTokens, merges: merges, into: &output)
    }

    // MARK: Decoding

    /// The text of `ids`. Bytes that do not form valid UTF-8 (a sequence cut in the middle of
    /// a character) become U+FFFD; ids outside the vocabulary are skipped.
    /// With `skipSpecial`, control and named special tokens are left out.
    public func decode(_ ids: [Int32], skipSpecial: Bool = false) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for id in ids {
            guard id >= 0, Int(id) < tokens.count else { continue }
            if skipSpecial && special[Int(id)] { continue }
            bytes.append(contentsOf: decodedBytes[decodedOffsets[Int(id)]..<decodedOffsets[Int(id) + 1]])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The raw bytes of one token, for streaming output: a character may span several tokens,
    /// so a printer should hold bytes until they form complete UTF-8. Empty for an unknown id.
    public func decodeBytes(_ id: Int32) -> [UInt8] {
        guard id >= 0, Int(id) < tokens.count else { return [] }
        return Array(decodedBytes[decodedOffsets[Int(id)]..<decodedOffsets[Int(id) + 1]])
    }

    // MARK: Vocabulary

    /// The vocabulary entry of `id` as the model spells it (`"Ġthe"`), or nil if out of range.
    public func token(for id: Int32) -> String? {
        guard id >= 0, Int(id) < tokens.count else { return nil }
        return tokens[Int(id)]
    }

    /// The id of a vocabulary entry spelled as the model spells it, or nil.
    public func id(for token: String) -> Int32? {
        idsByToken[token]
    }

    /// The kind of `id`, or nil if out of range.
    public func tokenType(_ id: Int32) -> TokenType? {
        guard id >= 0, Int(id) < tokens.count else { return nil }
        return types[Int(id)]
    }

    /// Whether `id` is a special token: a control token or one of bos/eos/unknown/padding.
    public func isSpecial(_ id: Int32) -> Bool {
        guard id >= 0, Int(id) < tokens.count else { return false }
        return special[Int(id)]
    }
}
