import SwarmBase
import Testing
@testable import LM
import Tensor
import TestSupport

/// A prompt's attention runs as small GEMMs per head (`InferenceSession.blockAttention`), a
/// decoded token's as a dot product per cached key: both must give the same model.
@Suite struct BlockAttentionTests {
    let model: LlamaModel
    let dir = TemporaryDirectory()
    /// 41 tokens: more than one causal block of 32 rows, and chunks that start after cached positions.
    let prompt: [Int32] = (0..<41).map { Int32(($0 * 37 + 11) % 250) }

    init() throws {
        try TinyModel().write(to: dir.file("tiny.gguf"))
        model = try LlamaModel(path: dir.file("tiny.gguf"))
    }

    /// The logits after the whole prompt, run `maxBatch` tokens at a time.
    func logits(maxBatch: Int) throws -> [Float] {
        let session = try InferenceSession(model: model, contextLength: 64, maxBatch: maxBatch, pool: ComputePool(threads: 2))
        return Array(try session.append(prompt).prefix(model.config.vocabSize))
    }

    @Test("a prompt at once, or in chunks after cached positions, gives the logits of the same prompt one token at a time",
          arguments: [41, 32, 7, 2])
    func blocksEqualTokenByToken(maxBatch: Int) throws {
        let reference = try logits(maxBatch: 1)
        let blocked = try logits(maxBatch: maxBatch)
        let scale = reference.map(abs).max() ?? 1
        let worst = zip(reference, blocked).map { abs($0 - $1) }.max() ?? .infinity
        // Seen: 6.7e-6 (maxBatch 41, 32, 7) and 3.8e-6 (2) with logits up to 49.2 (the tiny core).
        print("maxBatch \(maxBatch): max |difference| \(worst) against logits up to \(scale)")
        #expect(worst <= 5e-7 * scale, "max |difference| \(worst) against logits up to \(scale)")
        #expect(reference.firstIndex(of: reference.max()!) == blocked.firstIndex(of: blocked.max()!))
    }
}
