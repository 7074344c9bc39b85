import SwarmBase
import Testing
import Tokenizer

@Suite("Pre-tokenizer")
struct PreTokenizerTests {
    let smol = PreTokenizer.smolLM
    let gpt2 = PreTokenizer.gpt2

    @Test func wordsTakeTheSpaceBeforeThem() {
        #expect(smol.split("Hello world") == ["Hello", " world"])
        #expect(smol.split("Hello, world!") == ["Hello", ",", " world", "!"])
        #expect(smol.split(" leading") == [" leading"])
    }

    @Test func contractionsAreCaseSensitive() {
        #expect(smol.split("don't") == ["don", "'t"])
        #expect(smol.split("we'll they're I've I'm he'd it's") ==
            ["we", "'ll", " they", "'re", " I", "'ve", " I", "'m", " he", "'d", " it", "'s"])
        #expect(smol.split("DON'T") == ["DON", "'", "T"])
        #expect(smol.split("WE'LL") == ["WE", "'", "LL"])
        #expect(smol.split("'''s") == ["'''", "s"], "a contraction only starts a piece")
        #expect(smol.split("'sup") == ["'s", "up"])
        #expect(smol.split("x 's") == ["x", " '", "s"])
    }

    @Test func whitespaceRunsLeaveTheirLastSpaceToTheNextWord() {
        #expect(smol.split("a   b") == ["a", "  ", " b"])
        #expect(smol.split("a \n b") == ["a", " \n", " b"])
        #expect(smol.split("a\n\nb") == ["a", "\n", "\n", "b"])
        #expect(smol.split("a\tb") == ["a", "\t", "b"])
        #expect(smol.split("trailing   ") == ["trailing", "   "])
        #expect(smol.split("   ") == ["   "])
        #expect(smol.split(" \n") == [" \n"])
        #expect(smol.split("x  !") == ["x", " ", " !"])
    }

    @Test func punctuationRunsStayTogether() {
        #expect(smol.split("a!!!b???c") == ["a", "!!!", "b", "???", "c"])
        #expect(smol.split(" ...") == [" ..."])
        #expect(smol.split("->=>") == ["->=>"])
    }

    @Test func digitsAreIsolatedOnlyBySmolLM() {
        #expect(smol.split("a123") == ["a", "1", "2", "3"])
        #expect(gpt2.split("a123") == ["a", "123"])
        #expect(smol.split(" 42") == [" ", "4", "2"])
        #expect(gpt2.split(" 42") == [" 42"])
        // Whitespace before a digit ends its own stretch, so it is not split before the digit.
        #expect(smol.split("x  1") == ["x", "  ", "1"])
        #expect(gpt2.split("x  1") == ["x", " ", " 1"])
    }

    @Test func categoriesFollowUnicodeGeneralCategory() {
        // U+216B ROMAN NUMERAL TWELVE is Alphabetic but a number (Nl), not a letter.
        #expect(gpt2.split(" Ⅻx") == [" Ⅻ", "x"])
        #expect(smol.split(" Ⅻx") == [" ", "Ⅻ", "x"])
        // Arabic-Indic digits and superscripts are numbers too.
        #expect(smol.split("٣²") == ["٣", "²"])
        // A combining mark (Mn) is not a letter: a decomposed é splits.
        #expect(smol.split("cafe\u{301}s") == ["cafe", "\u{301}", "s"])
        #expect(smol.split("café") == ["café"])
        // CJK ideographs are letters (Lo); the ideographic full stop is punctuation.
        #expect(smol.split("你好。世界") == ["你好", "。", "世界"])
        // Emoji are symbols; ZWJ (Cf) and skin tones too, so a family stays in one piece.
        #expect(smol.split("hi 👨‍👩‍👧!") == ["hi", " 👨‍👩‍👧!"])
    }

    @Test func unicodeWhitespaceIsWhitespaceButZeroWidthSpaceIsNot() {
        #expect(smol.split("a\u{3000}b") == ["a", "\u{3000}", "b"])
        #expect(smol.split("a\u{A0}\u{A0}b") == ["a", "\u{A0}", "\u{A0}", "b"])
        #expect(smol.split("a\u{85}") == ["a", "\u{85}"])
        #expect(smol.split("a\u{200B}b") == ["a", "\u{200B}", "b"])
        #expect(smol.split(" \u{200B}") == [" \u{200B}"])
        #expect(smol.split("\u{1C}\u{1D}") == ["\u{1C}\u{1D}"], "file separators are not White_Space")
    }

    @Test func piecesJoinBackToTheInput() {
        var rng = SeededRandom(seed: 3)
        for _ in 0..<300 {
            let text = randomText(using: &rng)
            for splitter in [smol, gpt2, PreTokenizer.llama3, PreTokenizer.qwen2] {
                let pieces = splitter.split(text)
                #expect(pieces.joined() == text)
                #expect(!pieces.contains(""))
            }
        }
    }

    @Test func emptyTextHasNoPieces() {
        #expect(smol.split("").isEmpty)
        #expect(PreTokenizer.llama3.split("").isEmpty)
    }

    @Test func namesFromModelFiles() throws {
        #expect(try PreTokenizer(name: "smollm") == .smolLM)
        #expect(try PreTokenizer(name: "gpt2") == .gpt2)
        #expect(throws: TokenizerError.unsupportedPreTokenizer(name: "deepseek-llm")) {
            try PreTokenizer(name: "deepseek-llm")
        }
    }
}
