import Foundation
import Testing
@testable import LM
import ModelIO
import Tensor
import TestSupport

/// Tiny Llama 3 and Qwen2 cores, written to GGUF as llama.cpp's converter does and checked against
/// transformers and PEFT (scripts/reference/arch_fixtures.py computed the figures; the tests write
/// the same cores from the fixtures' specs with `ReferenceCore`; no Python runs here).
@Suite struct ArchitectureFixtureTests {
    struct Golden: Decodable {
        struct LoRA: Decodable {
            let rank: Int; let alpha: Float; let bBound: Float
            let ids: [[Int32]]; let labels: [[Int32]]; let loss: Double; let gradNorms: [String: Double]
        }
        let prompts: [[Int32]]
        let lastLogits: [[Double]]
        let lora: LoRA
    }

    /// The core and its golden figures. The core is written into a temporary directory that is
    /// removed on return; the model keeps its mapping of the file (Linux keeps a removed file's
    /// pages while they are mapped).
    static func load(_ arch: String) throws -> (LlamaModel, Golden) {
        let g = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: URL(fileURLWithPath: ReferenceCore.fixturePath(arch))))
        let dir = TemporaryDirectory()
        return (try LlamaModel(path: try ReferenceCore.file(arch, in: dir.path)), g)
    }

    static func maxDifference(_ a: UnsafeBufferPointer<Float>, _ b: [Double]) -> Double {
        zip(a, b).reduce(0) { max($0, abs(Double($1.0) - $1.1)) }
    }

    @Test(arguments: ["llama3", "qwen2"])
    func lastPositionLogitsMatchTransformers(arch: String) throws {
        let (model, g) = try Self.load(arch)
        let session = try InferenceSession(model: model, contextLength: 128)
        for (prompt, expected) in zip(g.prompts, g.lastLogits) {
            session.reset()
            let diff = Self.maxDifference(try session.append(prompt), expected)
            print("tiny-\(arch): \(prompt.count)-token prompt, last-position logits max |diff| \(diff) (largest \(expected.map(abs).max()!))")
            #expect(diff < 1e-4)
        }
    }

    /// Decoding one token at a time runs the other attention path (dot products over the cache).
    @Test(arguments: ["llama3", "qwen2"])
    func tokenByTokenDecodingMatchesTransformers(arch: String) throws {
        let (model, g) = try Self.load(arch)
        let session = try InferenceSession(model: model, contextLength: 128, maxBatch: 1)
        var last: UnsafeBufferPointer<Float>?
        for t in g.prompts[1] { last = try session.append([t]) }
        #expect(Self.maxDifference(last!, g.lastLogits[1]) < 1e-4)
    }

    @Test(arguments: ["llama3", "qwen2"])
    func loraLossAndGradientNormsMatchPEFT(arch: String) throws {
        let (model, g) = try Self.load(arch)
        let lora = LoRAParameters(config: LoRAConfig(rank: g.lora.rank, alpha: g.lora.alpha, targets: LoRATarget.allCases),
                                  model: model.config)
        HashedAdapter.fill(lora, bBound: g.lora.bBound)
        let session = try TrainingSession(model: model, lora: lora, batch: g.lora.ids.count, seqLen: g.lora.ids[0].count,
                                          pool: ComputePool())
        let labelled = g.lora.labels.reduce(0) { $0 + $1.dropFirst().filter { $0 != -100 }.count }
        let loss = try session.accumulateGradients(ids: g.lora.ids.flatMap { $0 }, labels: g.lora.labels.flatMap { $0 },
                                                   lossScale: 1 / Float(labelled))
        let relLoss = abs(loss.mean - g.lora.loss) / g.lora.loss
        let (worst, worstName) = HashedAdapter.worstGradientNorm(session, lora, reference: g.lora.gradNorms)
        print("tiny-\(arch): loss \(loss.mean) vs PEFT \(g.lora.loss) (relative \(relLoss)); gradient norms worst relative \(worst) (\(worstName))")
        #expect(relLoss < 1e-5)
        #expect(worst < 1e-4)
    }

    @Test func llama3FileIsReadWithItsRopeFactorsAndUntiedOutput() throws {
        let (model, _) = try Self.load("llama3")
        #expect(model.config.architecture == .llama)
        let factors = try #require(model.ropeFrequencyFactors)
        #expect(factors.count == model.config.headDim / 2)
        #expect(factors.first == 1 && factors.last == 8)  // high frequencies kept, low ones divided by the factor
        #expect(model.output.base != model.tokenEmbedding.base)
        #expect(model.layers.allSatisfy { $0.qBias == nil })
    }

    @Test func qwen2FileIsReadWithBiasesAndTiedOutput() throws {
        let (model, _) = try Self.load("qwen2")
        #expect(model.config.architecture == .qwen2)
        #expect(model.config.ropeBase == 1_000_000)
        #expect(model.ropeFrequencyFactors == nil)
        #expect(model.output.base == model.tokenEmbedding.base)
        for layer in model.layers {
            #expect(layer.qBias?.count == model.config.dim)
            #expect(layer.kBias?.count == model.config.kvDim && layer.vBias?.count == model.config.kvDim)
        }
    }

    /// Swapping the architecture name of a Qwen2 file (same tensors, keys renamed) changes the
    /// rotary pairing, so the logits must change: the pairing is really taken from the file.
    @Test func theRotaryPairingFollowsTheArchitecture() throws {
        let (qwen, g) = try Self.load("qwen2")
        var w = GGUFWriter()
        let file = qwen.file.gguf
        for key in file.metadata.keys where key != "general.alignment" {
            let renamed = key.hasPrefix("qwen2.") ? "llama." + key.dropFirst(6) : key[...]
            w.metadata.set(String(renamed), key == "general.architecture" ? .string("llama") : file.metadata[key]!)
        }
        for info in file.tensors {
            try w.addTensor(name: info.name, shape: info.shape, type: info.type, data: Array(qwen.file.data(of: info).bindMemory(to: UInt8.self)))
        }
        let dir = TemporaryDirectory()
        let path = dir.file("pairing.gguf")
        try w.write(to: path)
        let asLlama = try LlamaModel(path: path)
        #expect(asLlama.config.architecture == .llama)
        let session = try InferenceSession(model: asLlama, contextLength: 128)
        #expect(Self.maxDifference(try session.append(g.prompts[1]), g.lastLogits[1]) > 1e-2)
    }

    @Test func badRopeFactorsAreNamed() throws {
        let (llama, _) = try Self.load("llama3")
        let file = llama.file.gguf
        var w = GGUFWriter()
        for key in file.metadata.keys where key != "general.alignment" { w.metadata.set(key, file.metadata[key]!) }
        for info in file.tensors {
            var data = Array(llama.file.data(of: info).bindMemory(to: UInt8.self))
            if info.name == "rope_freqs.weight" { data.replaceSubrange(0..<4, with: withUnsafeBytes(of: Float(-1)) { Array($0) }) }
            try w.addTensor(name: info.name, shape: info.shape, type: info.type, data: data)
        }
        let dir = TemporaryDirectory()
        let path = dir.file("ropefreqs.gguf")
        try w.write(to: path)
        #expect { try LlamaModel(path: path) } throws: { error in
            "\(error)".contains("rope_freqs.weight") && "\(error)".contains("-1")
        }
    }
}
