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

    @Test func greedyGenerationOnATinyCoreIsDeterministicAndStreamed() throws {
        let dir = TemporaryDirectory()
        try TinyModel().write(to: dir.file("tiny.gguf"))
        let model = try LlamaModel(path: dir.file("tiny.gguf"))
        let core = try CoreTokenizer(metadata: model.file.metadata, path: dir.file("tiny.gguf"))
        #expect(core.chatTemplate != nil)
        let prompt = core.tokenizer.encode("the tiny model")
        var streamed: [UInt8] = []
        var s1 = Sampler(.greedy), s2 = Sampler(.greedy)
        let g = Generator(session: InferenceSession(model: model, contextLength: 64), tokenizer: core.tokenizer)
        let a = try g.generate(prompt: prompt, maxTokens: 12, sampler: &s1) { streamed += $0 }
        let b = try g.generate(prompt: prompt, maxTokens: 12, sampler: &s2)
        #expect(a.tokens == b.tokens)
        #expect(a.tokens.count == 12 || a.stoppedAtEnd)
        #expect(streamed == a.tokens.flatMap { core.tokenizer.decodeBytes($0) })
    }
}
