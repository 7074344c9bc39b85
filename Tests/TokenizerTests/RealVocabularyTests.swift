import Foundation
import SwarmBase
import Testing
import Tokenizer
import TestSupport

/// The real SmolLM2 vocabulary and the golden fixtures, loaded once for all suites.
enum RealModel {
    /// The load's outcome: a present core that fails to load is an error every real-vocabulary
    /// test reports, never a reason to skip.
    static let loaded = Result { try RealVocabulary.load() }
    /// Whether the core file is present (the tests run, and fail if it does not load).
    static var isAvailable: Bool { RealCore.isAvailable }

    static func tokenizer(preTokenizer: String? = nil) throws -> BPETokenizer {
        let vocabulary = try #require(try loaded.get(), Comment(rawValue: RealVocabulary.skipMessage))
        return try BPETokenizer(
            tokens: vocabulary.tokens, tokenTypes: vocabulary.tokenTypes, merges: vocabulary.merges,
            bosID: vocabulary.bosID, eosID: vocabulary.eosID, unknownID: vocabulary.unknownID,
            padID: vocabulary.padID, preTokenizer: preTokenizer ?? vocabulary.preTokenizer,
            addBOS: vocabulary.addBOS)
    }

    static let smolLM: Result<BPETokenizer, any Error>? =
        isAvailable ? Result { try tokenizer() } : nil
}

@Suite("Real SmolLM2 vocabulary against transformers", .enabled(if: RealModel.isAvailable, Comment(rawValue: RealVocabulary.skipMessage)))
struct RealVocabularyTests {
    let fixtures: GoldenFixtures
    let tokenizer: BPETokenizer

    init() throws {
        fixtures = try GoldenFixtures.load()
        tokenizer = try #require(RealModel.smolLM).get()
    }

    @Test func vocabularyMatchesTheReference() throws {
        #expect(tokenizer.vocabSize == fixtures.vocabSize)
        #expect(tokenizer.preTokenizer == .smolLM)
        #expect(!tokenizer.addsBOS)
        #expect(tokenizer.bosID == 1 && tokenizer.eosID == 2)
        #expect(tokenizer.id(for: "<|im_start|>") == 1)
        #expect(tokenizer.token(for: 216) == "Ġ")
        #expect(tokenizer.isSpecial(1) && tokenizer.isSpecial(16) && !tokenizer.isSpecial(17))
    }

    @Test func everyFixtureEncodesToTheReferenceIDs() {
        #expect(fixtures.cases.count >= 250)
        var mismatches: [String] = []
        for item in fixtures.cases {
            let ids = tokenizer.encode(item.text)
            if ids != item.ids {
                mismatches.append("\(item.text.debugDescription): got \(ids.prefix(24)) expected \(item.ids.prefix(24))")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(fixtures.cases.count) differ:\n\(mismatches.prefix(10).joined(separator: "\n"))")
    }

    @Test func specialTokensInTextAreEncodedAsTextWithoutParseSpecial() {
        let withMarkup = fixtures.cases.filter { $0.idsNoSpecial != nil }
        #expect(withMarkup.count >= 10)
        for item in fixtures.cases {
            let expected = item.idsNoSpecial ?? item.ids
            #expect(tokenizer.encode(item.text, parseSpecial: false) == expected, "\(item.text.debugDescription)")
        }
    }

    @Test func gpt2PreTokenizerMatchesTransformersGGUFFallback() throws {
        // transformers has no "smollm" entry for GGUF files and falls back to the GPT-2 split;
        // checking that path too exercises the splitter without the digit rule.
        let gpt2 = try RealModel.tokenizer(preTokenizer: "gpt2")
        #expect(fixtures.cases.contains { $0.gpt2Ids != nil })
        for item in fixtures.cases {
            #expect(gpt2.encode(item.text) == (item.gpt2Ids ?? item.ids), "\(item.text.debugDescription)")
        }
    }

    @Test func decodingGivesBackEveryFixtureText() {
        let unencodable = Set(tokenizer.unencodableBytes)
        #expect(unencodable == [4, 6, 19, 20, 22, 29, 192, 193, 241, 242, 245, 246, 247, 248, 249, 250, 251, 252, 253, 254, 255])
        #expect(fixtures.cases.contains { $0.decoded != nil })
        for item in fixtures.cases {
            #expect(tokenizer.decode(item.ids) == (item.decoded ?? item.text), "\(item.text.debugDescription)")
            // Streaming gives back every byte the vocabulary can encode, in order.
            let streamed = item.ids.flatMap { tokenizer.decodeBytes($0) }
            #expect(streamed == item.text.utf8.filter { !unencodable.contains($0) }, "\(item.text.debugDescription)")
        }
    }

    @Test func randomTextRoundTripsThroughTheRealVocabulary() {
        var rng = SeededRandom(seed: 0x5EED_0002)
        let unencodable = Set(tokenizer.unencodableBytes)
        for _ in 0..<300 {
            let text = randomText(using: &rng)
            #expect(!text.utf8.contains { unencodable.contains($0) }, "generator makes only encodable text")
            #expect(tokenizer.decode(tokenizer.encode(text)) == text, "\(text.debugDescription)")
            #expect(tokenizer.decode(tokenizer.encode(text, parseSpecial: false)) == text, "\(text.debugDescription)")
        }
    }

    @Test func skipSpecialDropsChatMarkup() {
        let ids = tokenizer.encode("<|im_start|>user\nhi<|im_end|>\n")
        #expect(ids.first == 1)
        #expect(tokenizer.decode(ids, skipSpecial: true) == "user\nhi\n")
    }

    @Test func modelChatTemplateIsRecognizedAsSmolLM2() throws {
        let source = try #require(try RealModel.loaded.get()?.chatTemplate)
        let template = try ChatTemplate(jinja: source)
        #expect(template == .smolLM2)
        if let fixtureSource = fixtures.chatTemplate {
            #expect(try ChatTemplate(jinja: fixtureSource) == .smolLM2)
        }
    }
}

@Suite("Chat template against transformers' renderings")
struct ChatTemplateGoldenTests {
    @Test func renderingsEqualApplyChatTemplate() throws {
        let fixtures = try GoldenFixtures.load()
        #expect(fixtures.chats.count >= 5)
        let source = try #require(fixtures.chatTemplate)
        let template = try ChatTemplate(jinja: source)
        for chat in fixtures.chats {
            #expect(template.render(chat.messages, addGenerationPrompt: chat.addGenerationPrompt) == chat.rendered)
        }
    }
}
