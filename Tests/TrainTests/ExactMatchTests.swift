import Foundation
import LM
import SwarmBase
import Tensor
import Testing
import TestSupport
import Train
import TrainData

/// Exact match stops decoding an answer once it cannot match: the figure must not change.
@Suite struct ExactMatchTests {
    /// Pieces a continuation is built from: ASCII, whitespace of several kinds, a precomposed and
    /// a decomposed é (canonically equal), a combining mark alone, CJK, a flag (two regional
    /// indicators) and the Kelvin sign (canonically equal to K).
    static let pieces = ["4", "2", "a", "K", " ", "\n", "\t", "\u{3000}", "\u{E9}", "e\u{301}", "\u{301}", "日", "🇫🇷", "\u{212A}"]

    static func randomText(_ g: inout SeededRandom, length: Int) -> String {
        (0..<length).map { _ in pieces[g.below(pieces.count)] }.joined()
    }

    /// What `ExactMatch.run` decides after the whole continuation.
    static func matches(_ text: String, _ expected: String) -> Bool {
        text.trimmingCharacters(in: .whitespacesAndNewlines) == expected
    }

    @Test func aContinuationThatMatchesIsNeverAbandonedAtAnyByte() {
        var g = SeededRandom(seed: 17)
        var checked = 0
        for _ in 0..<3000 {
            let expected = Self.randomText(&g, length: 1 + g.below(5)).trimmingCharacters(in: .whitespacesAndNewlines)
            // The same answer with canonically equal spellings swapped in, inside whitespace.
            var body = expected
            if g.below(2) == 0 { body = body.replacingOccurrences(of: "\u{E9}", with: "e\u{301}") }
            if g.below(2) == 0 { body = body.replacingOccurrences(of: "K", with: "\u{212A}") }
            let text = [" ", "\n", "", "\u{3000}"][g.below(4)] + body + [" ", "\n\n", "", "\t "][g.below(4)]
            guard Self.matches(text, expected) else { continue }
            let bytes = Array(text.utf8)
            for n in 0...bytes.count {
                #expect(!ExactMatch.cannotMatch(Array(bytes[..<n]), expected: expected), "\(Array(text.unicodeScalars)) at byte \(n)")
            }
            checked += 1
        }
        #expect(checked > 2000)
    }

    @Test func anAbandonedContinuationNeverMatchesWhateverFollows() {
        var g = SeededRandom(seed: 29)
        var abandoned = 0
        for _ in 0..<3000 {
            let expected = Self.randomText(&g, length: 1 + g.below(4)).trimmingCharacters(in: .whitespacesAndNewlines)
            // A continuation near the answer: its prefix, a mutation, or it with more after it.
            let text = Self.randomText(&g, length: g.below(2)) + String(expected.prefix(g.below(expected.count + 1)))
                + Self.randomText(&g, length: g.below(3))
            let bytes = Array(text.utf8)
            for n in 0...bytes.count where ExactMatch.cannotMatch(Array(bytes[..<n]), expected: expected) {
                #expect(!Self.matches(text, expected), "\(Array(text.unicodeScalars)) abandoned at byte \(n) but matches")
                abandoned += 1
                break
            }
        }
        #expect(abandoned > 1000)
    }

    @Test func aWrongAnswerIsAbandonedOneCharacterAfterItsFirstWrongOne() {
        #expect(!ExactMatch.cannotMatch(Array("43".utf8), expected: "42"))
        #expect(ExactMatch.cannotMatch(Array("43 ".utf8), expected: "42"))
        #expect(!ExactMatch.cannotMatch(Array(" 42 \n".utf8), expected: "42"))
        #expect(ExactMatch.cannotMatch(Array("42 x ".utf8), expected: "42"))
        // A character cut in the middle of its bytes is not judged yet.
        #expect(!ExactMatch.cannotMatch(Array("4日".utf8).dropLast(), expected: "42"))
    }

    @Test func stoppingEarlyCountsTheSameAnswersAsDecodingInFull() throws {
        let (model, core, dir) = try TinyModel.loaded()
        _ = dir
        let pool = ComputePool(threads: 1)
        let matcher = try ExactMatch(model: model, tokenizer: core.tokenizer, lora: nil, contextLength: 256, pool: pool)
        let room = matcher.session.contextLength - 25
        // Short prompts (the tiny core's context is short): a few tokens, then one trained token.
        let examples = (0..<10).map { k in
            let prompt = Array(core.tokenizer.encode("q\(k) \(k * 7)?").prefix(room))
            return TokenizedExample(ids: prompt + [prompt[0]], labels: [Int32](repeating: ignoredLabel, count: prompt.count) + [prompt[0]])
        }
        try #require(examples.count >= 8)
        // What the tiny core answers, in full; then half the examples expect exactly that.
        let full = try matcher.run(examples, maxNewTokens: 24, keepSamples: examples.count, earlyStop: false)
        var judged = examples
        for k in judged.indices {
            judged[k].expected = k % 2 == 0 ? full.samples[k].got : "Z" + full.samples[k].got
        }
        let slow = try matcher.run(judged, maxNewTokens: 24, keepSamples: 0, earlyStop: false)
        let fast = try matcher.run(judged, maxNewTokens: 24, keepSamples: 0, earlyStop: true)
        #expect(slow.correct == (examples.count + 1) / 2)
        #expect(fast.correct == slow.correct && fast.total == slow.total)
        #expect(fast.generatedTokens < slow.generatedTokens)
    }
}
