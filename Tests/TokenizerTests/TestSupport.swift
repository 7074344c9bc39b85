import SwarmBase
import TestSupport
import Foundation
import Tokenizer

/// A small byte-level vocabulary built by hand: the 256 single-byte tokens, then the tokens
/// the given merges produce, then any extra (special) tokens.
struct TinyVocabulary {
    var tokens: [String]
    var tokenTypes: [Int32]
    var merges: [String]

    init(merges: [String] = [], extra: [(String, TokenType)] = []) {
        tokens = (0..<256).map { String(ByteLevel.scalarForByte[$0]) }
        tokenTypes = [Int32](repeating: TokenType.normal.rawValue, count: 256)
        var known = Set(tokens)
        for merge in merges {
            let parts = merge.split(separator: " ")
            let merged = parts.joined()
            if !known.contains(merged) {
                known.insert(merged)
                tokens.append(merged)
                tokenTypes.append(TokenType.normal.rawValue)
            }
        }
        for (token, type) in extra {
            tokens.append(token)
            tokenTypes.append(type.rawValue)
        }
        self.merges = merges
    }

    func tokenizer(preTokenizer: String = "smollm", bosID: Int32? = nil, addBOS: Bool = false) throws -> BPETokenizer {
        try BPETokenizer(
            tokens: tokens, tokenTypes: tokenTypes, merges: merges,
            bosID: bosID, eosID: nil, unknownID: nil, padID: nil,
            preTokenizer: preTokenizer, addBOS: addBOS)
    }
}


/// Random strings that stress the tokenizer: ASCII, control characters, whitespace of every
/// kind, combining marks, digits of several scripts, CJK, emoji with ZWJ and variation
/// selectors, and special-token markup.
func randomText(using rng: inout SeededRandom, maxPieces: Int = 24) -> String {
    let pools: [[Unicode.Scalar]] = [
        Array("abcXYZ'sltdmrve".unicodeScalars),
        Array(" \t\n\r\u{0B}\u{0C}\u{85}\u{A0}\u{2028}\u{3000}\u{200B}\u{FEFF}".unicodeScalars),
        Array("0123456789\u{663}\u{967}\u{2168}\u{BD}\u{B2}".unicodeScalars),
        Array("!?.,;:-_()[]{}<>|/\\\"`~@#$%^&*+=".unicodeScalars),
        Array("\u{0}\u{1}\u{1B}\u{1F}\u{7F}\u{80}\u{9F}\u{AD}".unicodeScalars),
        Array("\u{301}\u{308}\u{20DD}\u{FE0F}\u{200D}".unicodeScalars),
        Array("éßçñøΩжحשक中文字日本語한".unicodeScalars),
        Array("😀👍🏽🚀❤🧠🇫🇷".unicodeScalars),
        Array("\u{E000}\u{F8FF}\u{FFFD}\u{10FFFF}\u{1D518}".unicodeScalars),
    ]
    let markup = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|im_start|", "<<|im_end|>>", "user\n"]
    var text = ""
    for _ in 0..<Int.random(in: 0...maxPieces, using: &rng) {
        if Int.random(in: 0..<12, using: &rng) == 0 {
            text += markup.randomElement(using: &rng)!
            continue
        }
        let pool = pools.randomElement(using: &rng)!
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            text.unicodeScalars.append(pool.randomElement(using: &rng)!)
        }
    }
    return text
}

/// The golden file written by scripts/reference/tokenizer_fixtures.py.
struct GoldenFixtures: Decodable {
    struct Case: Decodable {
        var text: String
        var ids: [Int32]
        var gpt2Ids: [Int32]?
        var idsNoSpecial: [Int32]?
        var decoded: String?
    }

    struct Chat: Decodable {
        var messages: [ChatMessage]
        var addGenerationPrompt: Bool
        var rendered: String
    }

    var vocabSize: Int
    var chatTemplate: String?
    var cases: [Case]
    var chats: [Chat]

    static func load() throws -> GoldenFixtures {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/tokenizer_golden.json")
        return try JSONDecoder().decode(GoldenFixtures.self, from: Data(contentsOf: url))
    }
}

