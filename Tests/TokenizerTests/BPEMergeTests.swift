import SwarmBase
import Testing
import Tokenizer

@Suite("BPE merges on a hand-made vocabulary")
struct BPEMergeTests {
    func ids(_ tokenizer: BPETokenizer, _ tokens: [String]) throws -> [Int32] {
        try tokens.map { try #require(tokenizer.id(for: $0), "\($0) in vocabulary") }
    }

    @Test func mergesBuildUpAWord() throws {
        let tokenizer = try TinyVocabulary(merges: ["h e", "l l", "he ll", "hell o"]).tokenizer()
        #expect(tokenizer.encode("hello") == (try ids(tokenizer, ["hello"])))
        #expect(tokenizer.encode("hell") == (try ids(tokenizer, ["hell"])))
        #expect(tokenizer.encode("help") == (try ids(tokenizer, ["he", "l", "p"])))
        #expect(tokenizer.encode("ohell") == (try ids(tokenizer, ["o", "hell"])))
    }

    @Test func lowerRankMergesFirst() throws {
        let bcFirst = try TinyVocabulary(merges: ["b c", "a b"]).tokenizer()
        #expect(bcFirst.encode("abc") == (try ids(bcFirst, ["a", "bc"])))
        let abFirst = try TinyVocabulary(merges: ["a b", "b c"]).tokenizer()
        #expect(abFirst.encode("abc") == (try ids(abFirst, ["ab", "c"])))
    }

    /// Llama 3 (`ignore_merges` in Hugging Face, llama.cpp's "llama-bpe"): a piece that is a
    /// vocabulary token is taken whole even where the merges split it otherwise; Hugging Face
    /// `tokenizers` gives the same ids on this vocabulary (abc | Ġ ab d, and a bc | Ġ ab d without).
    @Test func llama3TakesAPieceThatIsATokenWhole() throws {
        let vocabulary = TinyVocabulary(merges: ["b c", "a b"], extra: [("abc", .normal)])
        let llama3 = try vocabulary.tokenizer(preTokenizer: "llama-bpe")
        #expect(llama3.ignoresMerges)
        #expect(llama3.encode("abc abd") == (try ids(llama3, ["abc", "Ġ", "ab", "d"])))
        let qwen2 = try vocabulary.tokenizer(preTokenizer: "qwen2")
        #expect(!qwen2.ignoresMerges)
        #expect(qwen2.encode("abc abd") == (try ids(qwen2, ["a", "bc", "Ġ", "ab", "d"])))
    }

    @Test func equalRanksMergeLeftmostFirst() throws {
        let tokenizer = try TinyVocabulary(merges: ["a a"]).tokenizer()
        #expect(tokenizer.encode("aaa") == (try ids(tokenizer, ["aa", "a"])))
        #expect(tokenizer.encode("aaaa") == (try ids(tokenizer, ["aa", "aa"])))
        #expect(tokenizer.encode("aaaaa") == (try ids(tokenizer, ["aa", "aa", "a"])))
    }

    @Test func aMergeCreatedLaterCanOutrankPendingOnes() throws {
        // "x y" (rank 3) is pending from the start; merging "b c" creates (a, bc) of rank 1,
        // and that creates (abc, x) of rank 2, so both go before it.
        let tokenizer = try TinyVocabulary(merges: ["b c", "a bc", "abc x", "x y"]).tokenizer()
        #expect(tokenizer.encode("abcxy") == (try ids(tokenizer, ["abcx", "y"])))
        // With "x y" ranked before "abc x" the pending pair wins instead.
        let other = try TinyVocabulary(merges: ["b c", "a bc", "x y", "abc x"]).tokenizer()
        #expect(other.encode("abcxy") == (try ids(other, ["abc", "xy"])))
    }

    @Test func mergesNeverCrossPieces() throws {
        let tokenizer = try TinyVocabulary(merges: ["a Ġ", "Ġ b", "a 1"]).tokenizer()
        #expect(tokenizer.encode("a b") == (try ids(tokenizer, ["a", "Ġb"])))
        #expect(tokenizer.encode("a1") == (try ids(tokenizer, ["a", "1"])))
    }

    @Test func multiByteCharactersStartAsTheirBytes() throws {
        let tokenizer = try TinyVocabulary(merges: ["Ã ©"]).tokenizer()
        #expect(tokenizer.encode("é") == (try ids(tokenizer, ["Ã©"])))
        #expect(tokenizer.encode("😀").count == 4)
        #expect(tokenizer.decode(tokenizer.encode("é😀")) == "é😀")
    }

    @Test func longWordsMergeCorrectly() throws {
        let tokenizer = try TinyVocabulary(merges: ["a a", "aa aa", "aaaa aaaa"]).tokenizer()
        let ids = tokenizer.encode(String(repeating: "a", count: 1003))
        let expected = try self.ids(tokenizer, Array(repeating: "aaaaaaaa", count: 125) + ["aa", "a"])
        #expect(ids == expected)
    }

    @Test func bosIsPrependedWhenTheModelAsksForIt() throws {
        let vocabulary = TinyVocabulary(extra: [("<s>", .control)])
        let tokenizer = try vocabulary.tokenizer(bosID: 256, addBOS: true)
        #expect(tokenizer.encode("a") == [256, try #require(tokenizer.id(for: "a"))])
        #expect(tokenizer.encode("") == [256])
        #expect(try vocabulary.tokenizer(bosID: 256, addBOS: false).encode("") == [])
    }

    @Test func cachedPiecesEncodeTheSameAsFreshOnes() throws {
        let vocabulary = TinyVocabulary(merges: ["t h", "th e", "Ġ the", "Ġ c", "Ġc a", "Ġca t"])
        let tokenizer = try vocabulary.tokenizer()
        let text = String(repeating: "the cat the cat\n", count: 50)
        let first = tokenizer.encode(text)
        let copy = tokenizer  // copies share the cache
        #expect(copy.encode(text) == first)
        #expect(try vocabulary.tokenizer().encode(text) == first)
    }

    @Test func concurrentEncodesSharingTheCacheAgree() async throws {
        let vocabulary = TinyVocabulary(merges: ["t h", "th e", "Ġ the", "Ġ c", "Ġc a", "Ġca t", "a a"])
        let shared = try vocabulary.tokenizer()
        var rng = SeededRandom(seed: 21)
        let texts = (0..<64).map { _ in randomText(using: &rng) + " the cat aaaa" }
        let expected = try texts.map { try vocabulary.tokenizer().encode($0) }
        let results = await withTaskGroup(of: (Int, [Int32]).self) { group in
            for (index, text) in texts.enumerated() {
                group.addTask { (index, shared.encode(text)) }
            }
            var results = [[Int32]](repeating: [], count: texts.count)
            for await (index, ids) in group { results[index] = ids }
            return results
        }
        #expect(results == expected)
    }

    @Test func decodingUnknownIDsSkipsThem() throws {
        let tokenizer = try TinyVocabulary().tokenizer()
        #expect(tokenizer.decode([-1, 72, 1_000_000, 73]) == "HI")
        #expect(tokenizer.decodeBytes(-5).isEmpty)
        #expect(tokenizer.token(for: 99_999) == nil)
        #expect(!tokenizer.isSpecial(-1))
    }

    @Test func missingByteTokensAreDroppedAndTheirNeighboursMerge() throws {
        var vocabulary = TinyVocabulary(merges: ["! !"])
        let dropped = vocabulary.tokens[4]  // byte 0x04
        vocabulary.tokens[4] = "<unused>"
        let tokenizer = try vocabulary.tokenizer()
        #expect(tokenizer.unencodableBytes == [4])
        #expect(tokenizer.id(for: dropped) == nil)
        #expect(tokenizer.encode("!\u{4}!") == (try ids(tokenizer, ["!!"])))
        #expect(tokenizer.encode("\u{4}").isEmpty)
    }
}
