import Testing
import Tokenizer

@Suite("Errors for bad vocabularies and merges")
struct TokenizerErrorTests {
    func make(
        tokens: [String]? = nil, tokenTypes: [Int32] = [], merges: [String] = [],
        bosID: Int32? = nil, padID: Int32? = nil, preTokenizer: String = "smollm"
    ) throws(TokenizerError) -> BPETokenizer {
        try BPETokenizer(
            tokens: tokens ?? TinyVocabulary(merges: ["a b"]).tokens, tokenTypes: tokenTypes, merges: merges,
            bosID: bosID, eosID: nil, unknownID: nil, padID: padID, preTokenizer: preTokenizer, addBOS: false)
    }

    @Test func emptyVocabulary() {
        #expect(throws: TokenizerError.emptyVocabulary) { try make(tokens: []) }
    }

    @Test(arguments: ["ab", "a  b", "a b c", "", " ", " b", "a "])
    func malformedMerges(_ merge: String) {
        #expect(throws: TokenizerError.malformedMerge(index: 1, merge: merge)) {
            try make(merges: ["a b", merge])
        }
    }

    @Test func mergeOfUnknownToken() {
        #expect(throws: TokenizerError.mergeTokenNotInVocabulary(index: 0, merge: "a zz", token: "zz")) {
            try make(merges: ["a zz"])
        }
    }

    @Test func mergeWhoseResultIsMissing() {
        #expect(throws: TokenizerError.mergeResultNotInVocabulary(index: 1, merge: "b c", result: "bc")) {
            try make(merges: ["a b", "b c"])
        }
    }

    @Test func tokenTypesOfTheWrongLength() {
        #expect(throws: TokenizerError.tokenTypeCountMismatch(tokens: 257, tokenTypes: 3)) {
            try make(tokenTypes: [1, 1, 1])
        }
    }

    @Test func specialIDOutsideTheVocabulary() {
        #expect(throws: TokenizerError.specialTokenOutOfRange(name: "bos", id: 257, vocabularySize: 257)) {
            try make(bosID: 257)
        }
        #expect(throws: TokenizerError.specialTokenOutOfRange(name: "padding", id: -1, vocabularySize: 257)) {
            try make(padID: -1)
        }
    }

    @Test func unsupportedPreTokenizer() {
        #expect(throws: TokenizerError.unsupportedPreTokenizer(name: "deepseek-llm")) { try make(preTokenizer: "deepseek-llm") }
        let message = TokenizerError.unsupportedPreTokenizer(name: "deepseek-llm").description
        #expect(message.contains("llama-bpe") && message.contains("qwen2") && message.contains("smollm"))
    }

    @Test func unknownTokenTypesAreTreatedAsNormal() throws {
        let tokenizer = try make(tokenTypes: [Int32](repeating: 99, count: 257))
        #expect(tokenizer.tokenType(0) == .normal)
    }

    @Test func messagesNameTheProblem() {
        let merge = TokenizerError.malformedMerge(index: 41, merge: "a\tb")
        #expect(merge.description.contains("#41"))
        #expect(merge.description.contains("\"a\\tb\""))
        let long = TokenizerError.mergeTokenNotInVocabulary(index: 0, merge: String(repeating: "x", count: 500), token: "y")
        #expect(long.description.count < 300, "long input is shortened")
    }
}
