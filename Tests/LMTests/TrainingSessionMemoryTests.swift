import Testing
import LM
import Tensor
import TestSupport

/// Issue 12: a training workspace is sized by flags (batch × sequence length², per layer); one
/// larger than the machine is refused when the session is made, not by the kernel's OOM killer
/// when a step first touches the pages.
@Suite struct TrainingSessionMemoryTests {
    /// Each layer's attention probabilities are batch × heads × seqLen² floats: the batch that
    /// makes one layer's `fraction` of the machine's memory.
    static func batch(for fraction: Double, heads: Int, seqLen: Int) -> Int {
        let perSequence = Double(heads * seqLen * seqLen * 4)
        return max(1, Int(fraction * Double(FloatBuffer.physicalMemoryBytes) / perSequence))
    }

    @Test func aWorkspaceLargerThanPhysicalMemoryIsRefusedNamingTheBatchAndLength() throws {
        let dir = TemporaryDirectory()
        var tiny = TinyModel()
        tiny.layers = 2
        try tiny.write(to: dir.file("tiny.gguf"))
        let model = try LlamaModel(path: dir.file("tiny.gguf"))
        let lora = LoRAParameters(config: LoRAConfig(rank: 2, alpha: 4, targets: [.q, .v]), model: model.config)
        // Each layer's mapping is 0.6 of the machine (the kernel grants it lazily); two are 1.2.
        let seqLen = 4096, batch = Self.batch(for: 0.6, heads: tiny.heads, seqLen: seqLen)
        do {
            _ = try TrainingSession(model: model, lora: lora, batch: batch, seqLen: seqLen, pool: ComputePool(threads: 1))
            Issue.record("a \(batch) × \(seqLen) workspace was allocated on a machine of \(FloatBuffer.physicalMemoryBytes) bytes")
        } catch {
            #expect(error.description.contains("\(batch) sequences of \(seqLen) tokens"), "\(error)")
        }
    }
}
