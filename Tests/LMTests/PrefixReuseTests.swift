import SwarmBase
import Testing
@testable import LM
import Tensor
import TestSupport

/// The session's cached prefix (`InferenceSession.rewind(to:)`, `Generator`'s `sharedPrefix`):
/// reusing it must give exactly what computing it again gives.
@Suite struct PrefixReuseTests {
    let model: LlamaModel
    let dir = TemporaryDirectory()

    init() throws {
        try TinyModel().write(to: dir.file("tiny.gguf"))
        model = try LlamaModel(path: dir.file("tiny.gguf"))
    }

    func logits(_ session: InferenceSession, _ tokens: [Int32]) throws -> [Float] {
        Array(try session.append(tokens).prefix(model.config.vocabSize))
    }

    @Test func rewindThenAppendEqualsTheSamePassesFromScratch() throws {
        let prefix: [Int32] = [5, 9, 2, 7, 7, 1]
        let session = try InferenceSession(model: model, contextLength: 64, maxBatch: 16)
        _ = try logits(session, prefix)
        _ = try logits(session, [3, 4, 8])
        session.rewind(to: prefix.count)
        #expect(session.cached == prefix)
        let reused = try logits(session, [11, 2])
        let fresh = try InferenceSession(model: model, contextLength: 64, maxBatch: 16)
        _ = try logits(fresh, prefix)
        #expect(try logits(fresh, [11, 2]) == reused)
    }

    @Test func aPromptGivesTheSameAnswerWhicheverPromptRanBefore() throws {
        let core = try CoreTokenizer(metadata: model.file.metadata, path: dir.file("tiny.gguf"))
        let shared = core.tokenizer.encode("the tiny model says")
        let a = shared + core.tokenizer.encode(" one thing"), b = shared + core.tokenizer.encode(" another")
        let g = Generator(session: try InferenceSession(model: model, contextLength: 64), tokenizer: core.tokenizer)
        var s = Sampler(.greedy)
        let alone = try g.generate(prompt: b, maxTokens: 10, sampler: &s, sharedPrefix: shared.count)
        _ = try g.generate(prompt: a, maxTokens: 10, sampler: &s, sharedPrefix: shared.count)
        #expect(g.session.cached.starts(with: shared))
        let afterA = try g.generate(prompt: b, maxTokens: 10, sampler: &s, sharedPrefix: shared.count)
        #expect(afterA.tokens == alone.tokens)
        // A prompt that does not begin with the cached tokens starts over.
        let other = core.tokenizer.encode("nothing shared here at all")
        let otherFresh = try Generator(session: try InferenceSession(model: model, contextLength: 64), tokenizer: core.tokenizer)
            .generate(prompt: other, maxTokens: 10, sampler: &s, sharedPrefix: shared.count)
        #expect(try g.generate(prompt: other, maxTokens: 10, sampler: &s, sharedPrefix: shared.count).tokens == otherFresh.tokens)
    }

    @Test func changingTheAdapterForgetsTheCache() throws {
        let session = try InferenceSession(model: model, contextLength: 64, maxBatch: 16)
        _ = try logits(session, [1, 2, 3])
        let lora = LoRAParameters(config: LoRAConfig(rank: 2, alpha: 2, targets: [.q]), model: model.config)
        session.lora = lora
        #expect(session.position == 0)
        _ = try logits(session, [1, 2, 3])
        session.refreshAdapter()
        #expect(session.cached.isEmpty)
    }
}
