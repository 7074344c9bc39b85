import SwarmBase
import Testing
@testable import LM
import Tensor
import TestSupport

@Suite struct GeneratorTests {
    @Test func streamBufferNeverSplitsACharacter() {
        let text = "añ日本🌍x"
        let bytes = Array(text.utf8)
        // Feed every possible split into single bytes and pairs.
        for chunk in 1...3 {
            var buffer = UTF8StreamBuffer()
            var out: [UInt8] = []
            var i = 0
            while i < bytes.count {
                let piece = Array(bytes[i..<min(bytes.count, i + chunk)])
                let ready = buffer.push(piece)
                #expect(String(validating: ready, as: UTF8.self) != nil, "chunk \(chunk) released a broken sequence")
                out += ready
                i += chunk
            }
            out += buffer.flush()
            #expect(out == bytes)
        }
    }

    /// Issue 12: `generate --max-tokens N` on a Japanese prompt ended its output with `e3 83 0a`.
    @Test func streamCutInsideACharacterEndsInValidUTF8() {
        var buffer = UTF8StreamBuffer()
        var out = buffer.push([0x41, 0xE3, 0x83])  // "A" then the first two bytes of "ャ"
        out += buffer.flush()
        #expect(String(validating: out, as: UTF8.self) == "A\u{FFFD}")
    }

    @Test func arbitraryTokenBytesAlwaysStreamAsValidUTF8() {
        var rng = SeededRandom(seed: 12)
        for _ in 0..<2_000 {
            var buffer = UTF8StreamBuffer()
            var out: [UInt8] = []
            for _ in 0..<Int(rng.next() % 6) {
                let piece = (0..<Int(rng.next() % 4)).map { _ in UInt8(truncatingIfNeeded: rng.next()) | (rng.next() % 2 == 0 ? 0x80 : 0) }
                let ready = buffer.push(piece)
                #expect(String(validating: ready, as: UTF8.self) != nil)
                out += ready
            }
            out += buffer.flush()
            #expect(String(validating: out, as: UTF8.self) != nil)
        }
    }

    /// Issue 12: an adapter of rank above 1024 tripped a precondition (a fixed maxBatch x 1024
    /// scratch) once a prefill filled a whole batch; `merge --method cat` adds ranks up, so any
    /// rank must run. The prompt fills the session's batch of 8 rows: 8 x 1100 values of x·Aᵀ.
    @Test func adapterOfRankAbove1024RunsInInference() throws {
        let dir = TemporaryDirectory()
        try TinyModel().write(to: dir.file("tiny.gguf"))
        let model = try LlamaModel(path: dir.file("tiny.gguf"))
        let prompt: [Int32] = [1, 2, 3, 4, 5, 6, 7, 8]
        let plain = try InferenceSession(model: model, contextLength: 16, maxBatch: prompt.count)
        let base = Array(try plain.append(prompt).prefix(model.config.vocabSize))
        let lora = LoRAParameters(config: LoRAConfig(rank: 1100, alpha: 1100, targets: [.q, .v]), model: model.config)
        lora.initialize(seed: 3)
        var rng = SeededRandom(seed: 5)
        for s in lora.slots { for i in 0..<(1100 * s.outputs) { lora.bt(s)[i] = rng.nextSignedUnit() * 0.01 } }
        let session = try InferenceSession(model: model, contextLength: 16, maxBatch: prompt.count)
        session.lora = lora
        let adapted = Array(try session.append(prompt).prefix(model.config.vocabSize))
        #expect(adapted.allSatisfy { $0.isFinite })
        #expect(adapted != base, "a non-zero adapter must change the logits")
    }

    @Test func greedyGenerationOnATinyCoreIsDeterministicAndStreamed() throws {
        let dir = TemporaryDirectory()
        try TinyModel().write(to: dir.file("tiny.gguf"))
        let model = try LlamaModel(path: dir.file("tiny.gguf"))
        let core = try CoreTokenizer(metadata: model.file.metadata, path: dir.file("tiny.gguf"))
        #expect(core.chatTemplate != nil)
        let prompt = core.tokenizer.encode("the tiny model")
        var streamed: [UInt8] = []
        var s1 = Sampler(.greedy), s2 = Sampler(.greedy)
        let g = Generator(session: try InferenceSession(model: model, contextLength: 64), tokenizer: core.tokenizer)
        let a = try g.generate(prompt: prompt, maxTokens: 12, sampler: &s1) { streamed += $0 }
        let b = try g.generate(prompt: prompt, maxTokens: 12, sampler: &s2)
        #expect(a.tokens == b.tokens)
        #expect(a.tokens.count == 12 || a.stoppedAtEnd)
        #expect(streamed == a.tokens.flatMap { core.tokenizer.decodeBytes($0) })
    }
}
