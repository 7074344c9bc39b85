import Foundation
import ModelIO
import SwarmBase
import Testing
import Tokenizer
import TestSupport
@testable import LM

/// A core is read by three layers above the GGUF parser: the model (config and tensors from the
/// metadata), the tokenizer and the chat template. A damaged core must be refused by a typed
/// error that names what is wrong, never trap, at every layer, and what loads must also run.
@Suite struct CoreMutationTests {
    static func tiny() -> TinyModel {
        var t = TinyModel()
        t.dim = 16
        t.hiddenDim = 32
        t.layers = 1
        t.heads = 2
        t.kvHeads = 1
        return t
    }

    /// Loads the core at `path` as the CLI does and, when it loads, tokenizes, renders the template
    /// and runs a few tokens. Returns the refusal, or nil when everything ran.
    static func load(_ path: String) -> String? {
        do {
            let model = try LlamaModel(path: path, decodeTables: false)
            let core = try CoreTokenizer(metadata: model.file.metadata, path: path)
            var text = "hi there"
            if let template = core.chatTemplate {
                text = template.render([ChatMessage(role: "user", content: "hi")], addGenerationPrompt: true)
            }
            let ids = Array(core.tokenizer.encode(text).prefix(6))
            _ = core.tokenizer.decode(ids)
            let session = try InferenceSession(model: model, contextLength: min(model.config.contextLength, 16), maxBatch: 8)
            if !ids.isEmpty { _ = try session.append(Array(ids.prefix(session.contextLength))) }
            return nil
        } catch {
            return "\(error)"
        }
    }

    static let replacements: [GGUFValue?] = [
        nil, .uint32(0), .int32(-1), .uint64(UInt64.max), .int64(Int64.min), .uint32(3), .uint32(1 << 30),
        .float32(.nan), .float32(-1), .string(""), .string("gpt3"), .bool(true),
        .array(.string, []), .array(.string, [.string("a b c")]), .array(.int32, [.int32(-5)]),
    ]

    /// Every key of a good core replaced by each of a set of hostile values (or removed).
    @Test func everyMetadataValueReplacedIsLoadedOrRefusedNamingIt() throws {
        let dir = TemporaryDirectory()
        try Self.tiny().write(to: dir.file("good.gguf"))
        let good = try GGUFModelFile(path: dir.file("good.gguf"))
        #expect(Self.load(dir.file("good.gguf")) == nil)
        var refused = 0, total = 0
        for key in good.metadata.keys {
            for replacement in Self.replacements {
                var w = GGUFWriter()
                for k in good.metadata.keys {
                    if k == key { if let replacement { w.metadata.set(k, replacement) } } else { w.metadata.set(k, good.metadata[k]!) }
                }
                for t in good.tensors { try w.addTensor(name: t.name, shape: t.shape, type: t.type, data: Array(good.data(of: t))) }
                let path = dir.file("mutant.gguf")
                try w.write(to: path)
                total += 1
                if let error = Self.load(path) {
                    refused += 1
                    // The refusal names the key, or the tensor or token its value broke.
                    #expect(error.contains(key) || error.contains("tensor") || error.contains("token"),
                            "\(key) = \(String(describing: replacement)): \(error)")
                }
            }
        }
        #expect(refused > total / 3, "\(refused) of \(total) refused")
    }

    /// Random byte edits inside the metadata and tensor directory of a good core.
    @Test func byteMutantsOfTheHeaderAreLoadedOrRefused() throws {
        let dir = TemporaryDirectory()
        try Self.tiny().write(to: dir.file("good.gguf"))
        let bytes = try FileIO.readAll(dir.file("good.gguf"), limit: 1 << 24)
        let header = try GGUFModelFile(path: dir.file("good.gguf")).gguf.dataOffset
        var rng = SeededRandom(seed: 0xC0DE)
        var loaded = 0, refused = 0
        let path = dir.file("mutant.gguf")
        for _ in 0..<1_200 {
            var b = bytes
            for _ in 0..<(1 + rng.below(3)) {
                let at = rng.below(header)
                switch rng.below(3) {
                case 0: b[at] ^= UInt8(1 << rng.below(8))
                case 1: b[at] = UInt8(truncatingIfNeeded: rng.next())
                default: for k in 0..<4 where at + k < b.count { b[at + k] = 0xFF }
                }
            }
            try FileIO.writeAtomically(b, to: path)
            if let error = Self.load(path) {
                refused += 1
                #expect(!error.isEmpty)
            } else {
                loaded += 1
            }
        }
        #expect(loaded > 100 && refused > 100, "loaded \(loaded), refused \(refused)")
    }
}
