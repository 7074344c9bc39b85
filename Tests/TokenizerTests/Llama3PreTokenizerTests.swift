import Foundation
import Testing
import Tokenizer

/// The golden file written by scripts/reference/pretokenizer_fixtures.py: Hugging Face
/// `tokenizers`' pieces of each string under the Llama 3 and Qwen2 patterns, and a tiny
/// byte-level BPE trained with each pre-tokenizer with the ids of the first strings.
struct PreTokenizerFixtures: Decodable {
    struct Case: Decodable {
        var text: String
        var llamaBPE: [String]
        var qwen2: [String]

        enum CodingKeys: String, CodingKey {
            case text, qwen2
            case llamaBPE = "llama-bpe"
        }
    }

    struct TinyBPE: Decodable {
        var tokens: [String]
        var merges: [String]
        /// `ids[i]` are the ids of `cases[i].text`.
        var ids: [[Int32]]
    }

    var cases: [Case]
    var bpe: [String: TinyBPE]

    static let shared: PreTokenizerFixtures? = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/pretokenizer_golden.json")
        return try? JSONDecoder().decode(PreTokenizerFixtures.self, from: Data(contentsOf: url))
    }()

    static func load() throws -> PreTokenizerFixtures {
        try #require(shared, "Fixtures/pretokenizer_golden.json is missing or malformed")
    }
}

@Suite("Llama 3 and Qwen2 pre-tokenizers")
struct Llama3PreTokenizerTests {
    let llama = PreTokenizer.llama3
    let qwen = PreTokenizer.qwen2

    /// The cases `splitter` splits differently from the fixture, described.
    private func mismatches(
        _ splitter: PreTokenizer, _ expected: KeyPath<PreTokenizerFixtures.Case, [String]>
    ) throws -> (checked: Int, failures: [String]) {
        let cases = try PreTokenizerFixtures.load().cases
        let failures = cases.compactMap { c -> String? in
            let pieces = splitter.split(c.text)
            return pieces == c[keyPath: expected] ? nil : "\(c.text.debugDescription): \(pieces) != \(c[keyPath: expected])"
        }
        return (cases.count, failures)
    }

    @Test func llamaBPEPiecesMatchHuggingFace() throws {
        let (checked, failures) = try mismatches(llama, \.llamaBPE)
        #expect(checked > 400)
        #expect(failures.isEmpty, "\(failures.count) of \(checked) differ: \(failures.prefix(5))")
    }

    @Test func qwen2PiecesMatchHuggingFace() throws {
        let (checked, failures) = try mismatches(qwen, \.qwen2)
        #expect(checked > 400)
        #expect(failures.isEmpty, "\(failures.count) of \(checked) differ: \(failures.prefix(5))")
    }

    @Test(arguments: ["llama-bpe", "qwen2"])
    func tokenIDsMatchATinyHuggingFaceBPE(name: String) throws {
        let fixtures = try PreTokenizerFixtures.load()
        let bpe = try #require(fixtures.bpe[name])
        let tokenizer = try BPETokenizer(
            tokens: bpe.tokens, tokenTypes: [], merges: bpe.merges,
            bosID: nil, eosID: nil, unknownID: nil, padID: nil, preTokenizer: name, addBOS: false)
        #expect(bpe.ids.count > 200)
        var failures: [String] = []
        for (c, ids) in zip(fixtures.cases, bpe.ids) {
            let encoded = tokenizer.encode(c.text)
            if encoded != ids { failures.append("\(c.text.debugDescription): \(encoded) != \(ids)") }
            #expect(tokenizer.decode(encoded) == c.text)
        }
        #expect(failures.isEmpty, "\(failures.count) of \(bpe.ids.count) differ: \(failures.prefix(3))")
    }

    @Test func contractionsAreCaseInsensitive() {
        #expect(llama.split("I'LL") == ["I", "'LL"])
        #expect(llama.split("don'T") == ["don", "'T"])
        #expect(llama.split("WE'Ll") == ["WE", "'Ll"])
        #expect(qwen.split("don't stop") == ["don", "'t", " stop"])
        // Oniguruma folds U+017F LATIN SMALL LETTER LONG S to s.
        #expect(llama.split("x'\u{17F}y") == ["x", "'\u{17F}", "y"])
        // Only the ASCII apostrophe, and only where it starts a piece.
        #expect(llama.split("it\u{2019}s") == ["it", "\u{2019}s"])
        #expect(llama.split("'''s") == ["'''", "s"])
        #expect(llama.split("x 's") == ["x", " '", "s"])
    }

    @Test func llamaBPEGroupsNumbersInThrees() {
        #expect(llama.split("12345678") == ["123", "456", "78"])
        #expect(llama.split("1,234.5") == ["1", ",", "234", ".", "5"])
        #expect(llama.split("\u{661}\u{662}\u{663}\u{664}") == ["\u{661}\u{662}\u{663}", "\u{664}"])
        #expect(llama.split("\u{216B}\u{216B}\u{216B}\u{216B}") == ["\u{216B}\u{216B}\u{216B}", "\u{216B}"])
        #expect(llama.split("x\u{B2}\u{B3}") == ["x", "\u{B2}\u{B3}"])
    }

    @Test func qwen2SplitsEveryDigit() {
        #expect(qwen.split("12345678") == ["1", "2", "3", "4", "5", "6", "7", "8"])
        #expect(qwen.split("$100") == ["$", "1", "0", "0"])
        #expect(qwen.split("x\u{B2}\u{B3}") == ["x", "\u{B2}", "\u{B3}"])
    }

    @Test func numbersNeverTakeALeadingSpace() {
        for splitter in [llama, qwen] {
            #expect(splitter.split("x  1") == ["x", " ", " ", "1"])
        }
        #expect(llama.split(" 42") == [" ", "42"])
    }

    @Test func lettersTakeOneLeadingScalarThatIsNotANewline() {
        #expect(llama.split("(hello)") == ["(hello", ")"])
        #expect(llama.split("\tword") == ["\tword"])
        #expect(llama.split("a\u{A0}b") == ["a", "\u{A0}b"])
        #expect(llama.split("a\u{3000}b") == ["a", "\u{3000}b"])
        #expect(llama.split("a\u{200D}b") == ["a", "\u{200D}b"])
        #expect(llama.split("\u{4F60}\u{597D}\u{FF0C}\u{4E16}\u{754C}") == ["\u{4F60}\u{597D}", "\u{FF0C}\u{4E16}\u{754C}"])
        #expect(llama.split("\nword") == ["\n", "word"])
        #expect(llama.split("\r\nword") == ["\r\n", "word"])
        // Two punctuation scalars make a punctuation run instead.
        #expect(llama.split("!!word") == ["!!", "word"])
    }

    @Test func punctuationRunsKeepTheNewlinesAfterThem() {
        #expect(llama.split("hello!!!\n\nworld") == ["hello", "!!!\n\n", "world"])
        #expect(llama.split("...\n") == ["...\n"])
        #expect(llama.split(" ...\r\n\r\nx") == [" ...\r\n\r\n", "x"])
    }

    @Test func whitespaceWithNewlinesEndsAfterTheLastNewline() {
        #expect(llama.split("  \n  x") == ["  \n", " ", " x"])
        #expect(llama.split("\r\n\r\n") == ["\r\n\r\n"])
        #expect(llama.split("a\n\nb") == ["a", "\n\n", "b"])
        // Without a newline the run leaves its last scalar to lead the next piece.
        #expect(llama.split("a\t\tb") == ["a", "\t", "\tb"])
        #expect(llama.split("trailing   ") == ["trailing", "   "])
    }

    @Test func namesFromModelFiles() throws {
        for name in ["llama-bpe", "llama3", "dbrx", "smaug-bpe"] {
            #expect(try PreTokenizer(name: name) == .llama3)
        }
        #expect(try PreTokenizer(name: "qwen2") == .qwen2)
        #expect(PreTokenizer.llama3 != .qwen2)
    }
}
