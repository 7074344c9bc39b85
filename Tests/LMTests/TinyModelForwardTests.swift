import Foundation
import Testing
import Quant
@testable import LM
import Tensor
import TestSupport

/// The forward pass on tiny generated models against a naive reference written here in Double
/// precision (no KV cache, no kernels), for every weight format the core may use.
@Suite struct TinyModelForwardTests {
    /// Logits after the last of `tokens`, computed the slow obvious way.
    static func referenceLogits(_ w: [String: [Float]], _ t: TinyModel, tokens: [Int32]) -> [Double] {
        let dim = t.dim, hd = dim / t.heads, kvDim = t.kvHeads * hd, hidden = t.hiddenDim
        func mat(_ name: String, _ x: [Double], rows: Int) -> [Double] {
            let m = w[name]!
            let cols = x.count
            return (0..<rows).map { r in (0..<cols).reduce(0.0) { $0 + Double(m[r * cols + $1]) * x[$1] } }
        }
        func norm(_ x: [Double], _ name: String) -> [Double] {
            let g = w[name]!
            let ms = x.reduce(0) { $0 + $1 * $1 } / Double(x.count)
            let s = 1 / (ms + 1e-5).squareRoot()
            return x.indices.map { x[$0] * s * Double(g[$0]) }
        }
        func rope(_ v: [Double], pos: Int) -> [Double] {
            var out = v
            for h in 0..<(v.count / hd) {
                for i in 0..<(hd / 2) {
                    let theta = Double(pos) * pow(Double(t.ropeBase), -2 * Double(i) / Double(hd))
                    let a = v[h * hd + 2 * i], b = v[h * hd + 2 * i + 1]
                    out[h * hd + 2 * i] = a * cos(theta) - b * sin(theta)
                    out[h * hd + 2 * i + 1] = a * sin(theta) + b * cos(theta)
                }
            }
            return out
        }
        let emb = w["token_embd.weight"]!
        var xs: [[Double]] = tokens.map { tok in (0..<dim).map { Double(emb[Int(tok) * dim + $0]) } }
        for l in 0..<t.layers {
            let p = "blk.\(l)."
            let xn = xs.map { norm($0, p + "attn_norm.weight") }
            let qs = xn.enumerated().map { rope(mat(p + "attn_q.weight", $1, rows: dim), pos: $0) }
            let ks = xn.enumerated().map { rope(mat(p + "attn_k.weight", $1, rows: kvDim), pos: $0) }
            let vs = xn.map { mat(p + "attn_v.weight", $0, rows: kvDim) }
            for i in xs.indices {
                var att = [Double](repeating: 0, count: dim)
                for h in 0..<t.heads {
                    let kh = h / (t.heads / t.kvHeads)
                    let scores = (0...i).map { j in (0..<hd).reduce(0.0) { $0 + qs[i][h * hd + $1] * ks[j][kh * hd + $1] } / Double(hd).squareRoot() }
                    let mx = scores.max()!
                    let e = scores.map { exp($0 - mx) }
                    let s = e.reduce(0, +)
                    for j in 0...i { for d in 0..<hd { att[h * hd + d] += e[j] / s * vs[j][kh * hd + d] } }
                }
                let o = mat(p + "attn_output.weight", att, rows: dim)
                xs[i] = xs[i].indices.map { xs[i][$0] + o[$0] }
            }
            for i in xs.indices {
                let h = norm(xs[i], p + "ffn_norm.weight")
                let g = mat(p + "ffn_gate.weight", h, rows: hidden), u = mat(p + "ffn_up.weight", h, rows: hidden)
                let act = g.indices.map { g[$0] / (1 + exp(-g[$0])) * u[$0] }
                let d = mat(p + "ffn_down.weight", act, rows: dim)
                xs[i] = xs[i].indices.map { xs[i][$0] + d[$0] }
            }
        }
        let last = norm(xs.last!, "output_norm.weight")
        return mat(w["output.weight"] == nil ? "token_embd.weight" : "output.weight", last, rows: t.vocabSize)
    }

    @Test(arguments: [GGMLType.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .nf4])
    func logitsMatchTheNaiveReference(type: GGMLType) throws {
        let dir = TemporaryDirectory()
        var tiny = TinyModel()
        tiny.matrixType = type
        tiny.embeddingType = type == .nf4 || type.blockSize == 256 ? .q8_0 : type
        if type.blockSize == 256 { tiny.dim = 256; tiny.hiddenDim = 512 }
        let stored = try tiny.write(to: dir.file("tiny.gguf"))
        let model = try LlamaModel(path: dir.file("tiny.gguf"))
        let tokens: [Int32] = [1, 40, 77, 200, 5, 9, 150, 3, 99, 12, 250, 7]
        let session = try InferenceSession(model: model, contextLength: 64, maxBatch: 5, pool: ComputePool(threads: 2))
        let logits = Array(try session.append(tokens))
        let ref = Self.referenceLogits(stored, tiny, tokens: tokens)
        let worst = zip(logits, ref).map { abs(Double($0) - $1) }.max()!
        #expect(worst < 2e-3, "\(type): max-abs logit difference \(worst)")
    }

    /// A llama.cpp-style mix (every ggml block type the K-quant presets write, one per projection)
    /// against the same weights stored as F32: the quantized core is read through its decoders
    /// panel by panel, the twin through the fp32 kernels, so the logits differ only by fp32
    /// summation order (stated tolerance 1e-4 on logits of magnitude ~1-10).
    @Test func aLlamaCppTypeMixGivesTheLogitsOfItsF32Twin() throws {
        let dir = TemporaryDirectory()
        let (mixed, twin) = try TinyModel.mixedAndTwin(in: dir)
        let tokens: [Int32] = [1, 40, 77, 200, 5, 9, 150, 3, 99, 12, 250, 7]
        func logits(_ path: String) throws -> [Float] {
            let session = try InferenceSession(model: try LlamaModel(path: path), contextLength: 64, maxBatch: 5,
                                           pool: ComputePool(threads: 2))
            return Array(try session.append(tokens))
        }
        let a = try logits(mixed), b = try logits(twin)
        let worst = zip(a, b).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-4, "max-abs logit difference \(worst)")
        #expect(a.map { abs($0) }.max()! > 0.5, "logits too small for the comparison to mean anything")
    }

    @Test func incrementalDecodingEqualsOneBatch() throws {
        let dir = TemporaryDirectory()
        var tiny = TinyModel()
        tiny.matrixType = .q4_1
        tiny.embeddingType = .q8_0
        try tiny.write(to: dir.file("tiny.gguf"))
        let model = try LlamaModel(path: dir.file("tiny.gguf"))
        let tokens: [Int32] = (0..<20).map { Int32(($0 * 37) % 260) }
        let a = try InferenceSession(model: model, contextLength: 32)
        let batch = Array(try a.append(tokens))
        let b = try InferenceSession(model: model, contextLength: 32, maxBatch: 1)
        var last: [Float] = []
        for t in tokens { last = Array(try b.append([t])) }
        let worst = zip(batch, last).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-4)
    }

    @Test func contextOverflowAndBadTokensAreErrors() throws {
        let dir = TemporaryDirectory()
        try TinyModel().write(to: dir.file("tiny.gguf"))
        let model = try LlamaModel(path: dir.file("tiny.gguf"))
        let s = try InferenceSession(model: model, contextLength: 4)
        #expect(throws: LMError.self) { try s.append([1, 2, 3, 4, 5]) }
        #expect(throws: LMError.self) { try s.append([Int32(model.config.vocabSize)]) }
        #expect(throws: LMError.self) { try s.append([-1]) }
        _ = try s.append([1, 2, 3, 4])
        #expect(s.position == 4)
    }

    @Test func seededSamplingIsReproducibleAndGreedyAtZeroTemperature() {
        let logits: [Float] = [0.1, 2.0, 1.9, -3, 0.5]
        logits.withUnsafeBufferPointer { l in
            var a = Sampler(.temperature(0.8, topP: 0.9, seed: 5)), b = Sampler(.temperature(0.8, topP: 0.9, seed: 5))
            let xs = (0..<50).map { _ in a.sample(l) }
            #expect(xs == (0..<50).map { _ in b.sample(l) })
            #expect(Set(xs).isSubset(of: [1, 2, 4, 0]))
            #expect(Set(xs).count > 1)
            var g = Sampler(.temperature(0, topP: 1, seed: 1))
            #expect(g.sample(l) == 1)
            var top = Sampler(.temperature(1, topP: 0.01, seed: 3))
            #expect((0..<20).allSatisfy { _ in top.sample(l) == 1 })
        }
    }

    @Test func missingTensorsAndBadShapesAreNamed() throws {
        let dir = TemporaryDirectory()
        var tiny = TinyModel()
        tiny.heads = 3  // 64 is not divisible by 3
        try tiny.write(to: dir.file("bad.gguf"))
        do {
            _ = try LlamaModel(path: dir.file("bad.gguf"))
            Issue.record("a model with 3 heads of a 64-wide embedding loaded")
        } catch {
            #expect(error.description.contains("llama.attention.head_count"))
        }
    }
}
