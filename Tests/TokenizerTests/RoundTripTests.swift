import SwarmBase
import Testing
import Tokenizer

@Suite("Lossless round trip")
struct RoundTripTests {
    let tokenizer: BPETokenizer

    init() throws {
        tokenizer = try TinyVocabulary(
            merges: ["Ġ t", "h e", "Ġt he", "i n", "Ġ a", "Ġ Ġ", "ĠĠ ĠĠ", "Ċ Ċ", "ð Ł", "Ã ©", "e r"],
            extra: [("<|im_start|>", .control), ("<|im_end|>", .control), ("<|endoftext|>", .control)]
        ).tokenizer()
    }

    @Test(arguments: [
        "", " ", "\n", "\0", "the inner theater", "  \t\n  trailing  \n\n", "e\u{301}\u{302}\u{303}",
        "👨‍👩‍👧‍👦🏳️‍🌈", "日本語のテキスト", "مرحبا", "\u{FEFF}\u{200B}\u{2028}", "\u{10FFFF}\u{E000}",
        "\u{1}\u{2}\u{7F}\u{80}\u{9F}", "'s'S'll'LL", "<|im_start|>user\nhi<|im_end|>", "<|im_start|",
        String(repeating: "a", count: 5000), String(repeating: " ", count: 300) + "x",
    ])
    func fixedStringsRoundTrip(_ text: String) {
        #expect(tokenizer.decode(tokenizer.encode(text)) == text)
        #expect(tokenizer.decode(tokenizer.encode(text, parseSpecial: false)) == text)
    }

    @Test func randomStringsRoundTrip() {
        var rng = SeededRandom(seed: 0x5EED_0001)
        for _ in 0..<1000 {
            let text = randomText(using: &rng)
            #expect(tokenizer.decode(tokenizer.encode(text)) == text, "\(text.debugDescription)")
            #expect(tokenizer.decode(tokenizer.encode(text, parseSpecial: false)) == text, "\(text.debugDescription)")
        }
    }

    @Test func randomScalarsRoundTrip() {
        // Any scalar at all, not only the hand-picked pools.
        var rng = SeededRandom(seed: 0x5EED_0003)
        for _ in 0..<300 {
            var text = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 1...30, using: &rng) {
                let value = UInt32.random(in: 0...0x10FFFF, using: &rng)
                let biased = Bool.random(using: &rng) ? value & 0xFF : value
                if let scalar = Unicode.Scalar(biased) { text.append(scalar) }
            }
            let string = String(text)
            #expect(tokenizer.decode(tokenizer.encode(string)) == string, "\(string.debugDescription)")
        }
    }

    @Test func streamingBytesRebuildTheText() {
        var rng = SeededRandom(seed: 0x5EED_0004)
        for _ in 0..<300 {
            let text = randomText(using: &rng)
            let bytes = tokenizer.encode(text).flatMap { tokenizer.decodeBytes($0) }
            #expect(bytes == Array(text.utf8))
        }
    }
}
