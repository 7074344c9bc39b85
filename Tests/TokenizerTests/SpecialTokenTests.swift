import Testing
import Tokenizer

@Suite("Special and added tokens")
struct SpecialTokenTests {
    let tokenizer: BPETokenizer
    let start: Int32, end: Int32, eot: Int32, think: Int32, s: Int32, sLong: Int32

    init() throws {
        let vocabulary = TinyVocabulary(
            merges: ["u s", "us e", "use r"],
            extra: [("<|im_start|>", .control), ("<|im_end|>", .control), ("<|endoftext|>", .control),
                    ("<think>", .userDefined), ("<s>", .control), ("<s>>", .control)])
        tokenizer = try vocabulary.tokenizer()
        start = try #require(tokenizer.id(for: "<|im_start|>"))
        end = try #require(tokenizer.id(for: "<|im_end|>"))
        eot = try #require(tokenizer.id(for: "<|endoftext|>"))
        think = try #require(tokenizer.id(for: "<think>"))
        s = try #require(tokenizer.id(for: "<s>"))
        sLong = try #require(tokenizer.id(for: "<s>>"))
    }

    @Test func controlTokensAreCutOutBeforePreTokenizing() throws {
        let user = try #require(tokenizer.id(for: "user"))
        let newline = try #require(tokenizer.id(for: "Ċ"))
        #expect(tokenizer.encode("<|im_start|>user\n") == [start, user, newline])
        #expect(tokenizer.encode("a<|im_end|>b") == tokenizer.encode("a") + [end] + tokenizer.encode("b"))
        #expect(tokenizer.encode("<|im_start|><|im_end|>") == [start, end])
        // Text either side is pre-tokenized on its own: the space stays before the token.
        #expect(tokenizer.encode("x <|endoftext|> y") == tokenizer.encode("x ") + [eot] + tokenizer.encode(" y"))
    }

    @Test func longestMatchWinsAtAPosition() {
        #expect(tokenizer.encode("<s>>") == [sLong])
        #expect(tokenizer.encode("<s>") == [s])
        #expect(tokenizer.encode("<s>>>") == [sLong] + tokenizer.encode(">"))
    }

    @Test func leftmostMatchWins() {
        #expect(tokenizer.encode("<<s>") == tokenizer.encode("<") + [s])
        #expect(tokenizer.encode("<|im_start<|im_end|>") == tokenizer.encode("<|im_start") + [end])
    }

    @Test func nearMissesAreOrdinaryText() {
        for text in ["<|im_start|", "<|IM_START|>", "< |im_start| >", "<|im_start||>x"] {
            let ids = tokenizer.encode(text)
            #expect(!ids.contains(start), "\(text)")
            #expect(tokenizer.decode(ids) == text)
        }
    }

    @Test func withoutParseSpecialControlTokensAreText() {
        let ids = tokenizer.encode("<|im_start|>user<|im_end|>", parseSpecial: false)
        #expect(!ids.contains(start) && !ids.contains(end))
        #expect(tokenizer.decode(ids) == "<|im_start|>user<|im_end|>")
    }

    @Test func userDefinedTokensAreAlwaysMatched() {
        #expect(tokenizer.encode("<think>", parseSpecial: false) == [think])
        #expect(tokenizer.encode("a<think>b", parseSpecial: true).contains(think))
        #expect(!tokenizer.isSpecial(think))
    }

    @Test func skipSpecialLeavesOutControlTokensOnly() {
        let ids = tokenizer.encode("<|im_start|>user<think>hi<|im_end|>")
        #expect(tokenizer.decode(ids) == "<|im_start|>user<think>hi<|im_end|>")
        #expect(tokenizer.decode(ids, skipSpecial: true) == "user<think>hi")
        #expect(tokenizer.isSpecial(start) && tokenizer.isSpecial(eot))
        #expect(tokenizer.decodeBytes(start) == Array("<|im_start|>".utf8))
    }

    @Test func namedSpecialTokensAreMatchedEvenIfTypedNormal() throws {
        var vocabulary = TinyVocabulary(extra: [("</s>", .normal)])
        vocabulary.tokenTypes = []  // a model file without token types
        let tokenizer = try BPETokenizer(
            tokens: vocabulary.tokens, tokenTypes: [], merges: [], bosID: nil, eosID: 256,
            unknownID: nil, padID: nil, preTokenizer: "gpt2", addBOS: false)
        #expect(tokenizer.encode("a</s>") == tokenizer.encode("a") + [256])
        #expect(tokenizer.isSpecial(256))
        #expect(tokenizer.tokenType(256) == .normal)
    }
}
